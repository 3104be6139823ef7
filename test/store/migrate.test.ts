import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../../src/errors.ts';
import { loadMigrations, migrate, MIGRATIONS_DIR } from '../../src/store/migrate.ts';
import { openDatabase } from '../../src/store/openDatabase.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-migrate');
afterEach(() => tmp.remove());

/** A migrations folder holding the real migrations plus a later one, as the next release would. */
function withNextRelease(): string {
  const dir = tmp.path('migrations-next');
  mkdirSync(dir, { recursive: true });
  for (const m of loadMigrations()) copyFileSync(join(MIGRATIONS_DIR, `${String(m.version).padStart(4, '0')}_${m.name}.sql`), join(dir, `${String(m.version).padStart(4, '0')}_${m.name}.sql`));
  const next = loadMigrations().length + 1;
  writeFileSync(join(dir, `${String(next).padStart(4, '0')}_stream_unit.sql`), "ALTER TABLE streams ADD COLUMN unit TEXT NOT NULL DEFAULT '';\n");
  return dir;
}

const TABLES = ['streams', 'readings', 'forecasts', 'alerts', 'model_checkpoints', 'stream_states', 'training_runs'];

describe('migrations', () => {
  it('creates every table on a fresh database and records the versions', () => {
    const file = tmp.path('fresh.db');
    const db = openDatabase(file, { createFolder: true });
    const result = migrate(db, file);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    for (const t of TABLES) expect(tables).toContain(t);
    expect(result.from).toBe(0);
    expect(result.to).toBe(loadMigrations().at(-1)?.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // A second run applies nothing.
    expect(migrate(db, file).applied).toEqual([]);
    db.close();
  });

  it('upgrades every earlier schema version, keeping the data in it', () => {
    const all = loadMigrations(withNextRelease());
    for (let upTo = 1; upTo < all.length; upTo++) {
      const file = tmp.path(`upgrade-from-${upTo}.db`);
      const db = openDatabase(file, { createFolder: true });
      migrate(db, file, all.slice(0, upTo));
      db.prepare('INSERT INTO streams (key, first_seen, last_seen) VALUES (?, ?, ?)').run('kept', 1, 2);
      db.prepare('INSERT INTO readings (stream_id, ts, value) VALUES (1, 2, 3.5)').run();
      const result = migrate(db, file, all);
      expect(result.from).toBe(upTo);
      expect(result.to).toBe(all.length);
      expect(db.prepare('SELECT key, unit FROM streams').get()).toEqual({ key: 'kept', unit: '' });
      expect(db.prepare('SELECT value FROM readings').get()).toEqual({ value: 3.5 });
      if (upTo < 4) {
        // Migration 4 indexes the readings already stored by stream, and marks them indexed.
        expect(db.prepare('SELECT stream_id AS sid, ts, id, value FROM reading_index').all()).toEqual([{ sid: 1, ts: 2, id: 1, value: 3.5 }]);
        expect(db.prepare('SELECT indexed_to AS mark FROM reading_index_mark').get()).toEqual({ mark: 1 });
      }
      db.close();
    }
  });

  it('refuses a database that newer code has migrated, naming the file', () => {
    const file = tmp.path('newer.db');
    const db = openDatabase(file, { createFolder: true });
    migrate(db, file, loadMigrations(withNextRelease()));
    expect(() => migrate(db, file)).toThrow(expect.objectContaining({ code: StoreErrorCode.TOO_NEW, file }));
    db.close();
  });

  it('refuses to run when an applied migration was edited afterwards', () => {
    const file = tmp.path('edited.db');
    const db = openDatabase(file, { createFolder: true });
    const ms = loadMigrations();
    migrate(db, file, ms);
    const edited = ms.map((m) => (m.version === 1 ? { ...m, checksum: 'different' } : m));
    expect(() => migrate(db, file, edited)).toThrow(expect.objectContaining({ code: StoreErrorCode.MIGRATION_CHANGED }));
    db.close();
  });

  it('converts per-horizon forecast rows of schema 2 into one row per reading, values unchanged', () => {
    const file = tmp.path('forecasts-v1.db');
    const db = openDatabase(file, { createFolder: true });
    const all = loadMigrations();
    migrate(db, file, all.filter((m) => m.version <= 2));
    db.prepare("INSERT INTO streams (id, key, first_seen, last_seen) VALUES (1, 'a', 0, 0)").run();
    const reading = db.prepare('INSERT INTO readings (id, stream_id, ts, value) VALUES (?, 1, ?, ?)');
    const old = db.prepare('INSERT INTO forecasts (id, reading_id, stream_id, made_at, horizon, target_ts, mean, lower, upper, model_version) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)');
    // Schema 2: a row per reading and horizon, id = reading id × 16 + the horizon's index. 50,100
    // rows, so the conversion's pages of 50,000 rows end inside a reading; the first without target times.
    const want = new Map<number, { madeAt: number; mv: number; points: number[][] }>();
    db.exec('BEGIN');
    for (let r = 1; r <= 16_700; r++) {
      reading.run(r, r * 1000, r / 7);
      const points = [1, 6, 24].map((h, k) => [h, r === 1 ? Number.NaN : r * 1000 + h, r / 7 + k, r / 7 - 1.5, r / 7 + 2.25]);
      points.forEach((p, k) => old.run(r * 16 + k, r, r * 1000, p[0], Number.isNaN(p[1]) ? null : p[1], p[2], p[3], p[4], 1 + (r % 3)));
      want.set(r, { madeAt: r * 1000, mv: 1 + (r % 3), points });
    }
    db.exec('COMMIT');
    const progress: { version: number; done: number; total: number }[] = [];
    migrate(db, file, all, ({ version, done, total }) => progress.push({ version, done, total }));
    // Reported after each page of old rows: 50,000, then all 50,100.
    expect(progress).toEqual([{ version: 3, done: 50_000, total: 50_100 }, { version: 3, done: 50_100, total: 50_100 }]);
    const rows = db.prepare('SELECT reading_id AS rid, made_at AS madeAt, model_version AS mv, points FROM forecasts ORDER BY reading_id').all() as { rid: number; madeAt: number; mv: number; points: Buffer }[];
    expect(rows.map((r) => r.rid)).toEqual([...want.keys()]);
    const got = rows.map((row) => ({ madeAt: row.madeAt, mv: row.mv, points: Array.from({ length: row.points.length / 40 }, (_, k) => [0, 1, 2, 3, 4].map((f) => row.points.readDoubleLE(k * 40 + f * 8))) }));
    expect(got).toEqual([...want.values()]);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'forecasts_v1'").get()).toEqual({ n: 0 });
    db.close();
  });
});
