import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, StoreErrorCode } from '../errors.ts';
import { toStoreError } from './storeErrors.ts';

export type Db = Database.Database;

export interface OpenOptions {
  /** Create the folder of the file if it is missing (the default data folder). */
  readonly createFolder?: boolean;
  readonly readonly?: boolean;
}

/**
 * Opens (or creates) the service's SQLite file in WAL mode and checks that it
 * really is a database, so a wrong path fails here, by name, not at the first write.
 * @throws StoreError (FC_ERR_STORE_OPEN, FC_ERR_STORE_CORRUPT, FC_ERR_STORE_READONLY).
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (options.createFolder && file !== ':memory:') {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw new StoreError(StoreErrorCode.OPEN, file, `cannot create its folder: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (err) {
    throw toStoreError(err, file, 'opening');
  }
  try {
    // Reading the schema touches the header: a non-SQLite file fails here.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a process crash; only an OS crash may lose the last ones.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      // Inserts keyed by stream touch a page per active stream: keep those pages in memory.
      db.pragma('cache_size = -65536');
    }
  } catch (err) {
    db.close();
    throw toStoreError(err, file, 'opening');
  }
  return db;
}
