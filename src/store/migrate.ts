import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { StoreError, StoreErrorCode } from '../errors.ts';
import type { Db } from './openDatabase.ts';
import { convertForecastsV1 } from './convertForecastsV1.ts';
import { toStoreError } from './storeErrors.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Steps SQL cannot do, run after a version's SQL in the same transaction; they report rows done of rows to do. */
const DATA_STEPS: Readonly<Record<number, (db: Db, onProgress: (done: number, total: number) => void) => void>> = { 3: convertForecastsV1 };

/** Progress of a migration's data step (rows done of rows to do). */
export type MigrationProgress = (p: { readonly version: number; readonly name: string; readonly done: number; readonly total: number }) => void;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** The numbered migrations (`NNNN_name.sql`) of a folder, in order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .map((f) => /^(\d{4})_([\w-]+)\.sql$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const sql = readFileSync(join(dir, m[0]), 'utf8');
      return { version: Number(m[1]), name: m[2], sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
}

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly number[];
}

/**
 * Applies the migrations the database lacks, each in its own transaction, and
 * records them. Refuses a database migrated by newer code, and one whose
 * applied migrations differ from the files here.
 * @throws StoreError (FC_ERR_STORE_TOO_NEW, FC_ERR_STORE_MIGRATION_CHANGED, or the SQLite failure).
 */
export function migrate(db: Db, file: string, migrations: readonly Migration[] = loadMigrations(), onProgress: MigrationProgress = () => {}): MigrationResult {
  try {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  } catch (err) {
    throw toStoreError(err, file, 'reading its schema version');
  }
  const applied = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as { version: number; name: string; checksum: string }[];
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  const current = applied.length === 0 ? 0 : applied[applied.length - 1].version;
  if (current > latest) {
    throw new StoreError(StoreErrorCode.TOO_NEW, file, `has schema version ${current}; this build knows up to ${latest}. Run a newer forecaster, or restore a backup`);
  }
  for (const row of applied) {
    const m = migrations.find((x) => x.version === row.version);
    if (m === undefined || m.checksum !== row.checksum) {
      throw new StoreError(StoreErrorCode.MIGRATION_CHANGED, file, `migration ${row.version} (${row.name}) was applied from a different file than migrations/ holds now`);
    }
  }
  const done: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        DATA_STEPS[m.version]?.(db, (done, total) => onProgress({ version: m.version, name: m.name, done, total }));
        record.run(m.version, m.name, m.checksum, Date.now());
      })();
    } catch (err) {
      throw toStoreError(err, file, `applying migration ${m.version} (${m.name})`);
    }
    done.push(m.version);
  }
  return { from: current, to: Math.max(current, latest), applied: done };
}
