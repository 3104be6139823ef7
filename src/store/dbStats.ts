import { statSync } from 'node:fs';
import { openDatabase } from './openDatabase.ts';

export interface DbStats {
  readonly file: string;
  readonly bytes: number;
  readonly walBytes: number;
  readonly schemaVersion: number;
  readonly tables: Record<string, { rows: number; bytes: number | null }>;
}

const TABLES = ['streams', 'readings', 'reading_index', 'forecasts', 'alerts', 'model_checkpoints', 'stream_states', 'training_runs'];

/**
 * Sizes and row counts of the store, read-only (safe beside a running service).
 * @throws StoreError naming the file when it is missing or not a database.
 */
export function dbStats(file: string): DbStats {
  const db = openDatabase(file, { readonly: true });
  try {
    const version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    let sizes = new Map<string, number>();
    try {
      // dbstat is compiled into better-sqlite3's SQLite; tolerate builds without it.
      const rows = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[];
      sizes = new Map(rows.map((r) => [r.name, r.bytes]));
    } catch {
      sizes = new Map();
    }
    const tables: DbStats['tables'] = {};
    for (const t of TABLES) {
      const rows = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      tables[t] = { rows, bytes: sizes.get(t) ?? null };
    }
    return { file, bytes: statSync(file).size, walBytes: fileSize(`${file}-wal`), schemaVersion: version, tables };
  } finally {
    db.close();
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
