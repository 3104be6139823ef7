import { afterAll, describe, expect, it } from 'vitest';
import { pruneBatch } from '../../src/store/retention.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-retention');
afterAll(() => tmp.remove());
const DAY = 86_400_000;

describe('retention', () => {
  it('deletes rows older than the cutoff in bounded batches and keeps the rest', () => {
    const store = Store.open(tmp.path('r.db'));
    const db = store.db;
    db.prepare("INSERT INTO streams (id, key, first_seen, last_seen) VALUES (1, 's', 0, 0)").run();
    const now = 100 * DAY;
    const ins = db.prepare('INSERT INTO readings (stream_id, ts, value) VALUES (1, ?, 1)');
    db.transaction(() => {
      for (let i = 0; i < 2500; i++) ins.run(now - 40 * DAY + i); // older than 30 days
      for (let i = 0; i < 700; i++) ins.run(now - DAY + i); // recent
      // Indexed by stream (as the writer's background batches do), so they may be pruned.
      db.exec('INSERT INTO reading_index SELECT stream_id, ts, id, value FROM readings');
      db.exec('UPDATE reading_index_mark SET indexed_to = (SELECT max(id) FROM readings)');
    })();
    const cutoff = now - 30 * DAY;
    const batches: number[] = [];
    for (let n = -1; n !== 0; ) {
      n = pruneBatch(db, 'readings', cutoff, 1000);
      batches.push(n);
    }
    expect(batches).toEqual([1000, 1000, 500, 0]);
    expect(db.prepare('SELECT count(*) AS n, min(ts) AS oldest FROM readings').get()).toEqual({ n: 700, oldest: now - DAY });
    expect(db.prepare('SELECT count(*) AS n, min(ts) AS oldest FROM reading_index').get()).toEqual({ n: 700, oldest: now - DAY });
    store.close();
  });

  it('keeps open alerts however old they are', () => {
    const store = Store.open(tmp.path('a.db'));
    const db = store.db;
    db.prepare("INSERT INTO streams (id, key, first_seen, last_seen) VALUES (1, 's', 0, 0)").run();
    const ins = db.prepare("INSERT INTO alerts (stream_id, opened_at, resolved_at, severity, kind, score) VALUES (1, ?, ?, 'warning', 'forecast', 0.99)");
    ins.run(1, 2);
    ins.run(3, null);
    expect(pruneBatch(db, 'alerts', 10, 100)).toBe(1);
    expect(db.prepare('SELECT count(*) AS n FROM alerts WHERE resolved_at IS NULL').get()).toEqual({ n: 1 });
    store.close();
  });
});
