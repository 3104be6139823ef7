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
});
