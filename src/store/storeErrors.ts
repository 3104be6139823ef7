import { StoreError, StoreErrorCode } from '../errors.ts';

/** Maps an SQLite failure to a StoreError that names the file and says what happened. */
export function toStoreError(err: unknown, file: string, doing: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const detail = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError(StoreErrorCode.CORRUPT, file, `is not an SQLite database, or is damaged (${detail}) while ${doing}`, { cause: err });
  }
  if (code === 'SQLITE_FULL') return new StoreError(StoreErrorCode.FULL, file, `disk or database size limit is full while ${doing}; the write was rolled back`, { cause: err });
  if (code.startsWith('SQLITE_READONLY')) return new StoreError(StoreErrorCode.READONLY, file, `is read-only while ${doing}`, { cause: err });
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_PERM') {
    return new StoreError(StoreErrorCode.OPEN, file, `cannot be opened or written (${detail}) while ${doing}`, { cause: err });
  }
  return new StoreError(StoreErrorCode.WRITE, file, `${detail} while ${doing}`, { cause: err });
}
