import { afterAll, describe, expect, it } from 'vitest';
import { ReadingRetention } from '../../src/store/readingRetention.ts';
import { pruneBatch } from '../../src/store/retention.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-retention');
afterAll(() => tmp.remove());
const DAY = 86_400_000;

describe('retention', () => {
  it('deletes the expired readings of many streams with their index rows, in steps, and keeps the rest', () => {
    const store = Store.open(tmp.path('many.db'));
    const db = store.db;
    const now = 100 * DAY;
    const cutoff = now - 30 * DAY;
    const stream = db.prepare("INSERT INTO streams (id, key, first_seen, last_seen) VALUES (?, ?, 0, 0)");
    const ins = db.prepare('INSERT INTO readings (stream_id, ts, value) VALUES (?, ?, 1)');
    db.transaction(() => {
      for (let s = 1; s <= 50; s++) stream.run(s, `s-${s}`);
      // 30 expired and then 10 recent readings a stream, the streams interleaved as they arrive.
      for (let r = 0; r < 40; r++) for (let s = 1; s <= 50; s++) ins.run(s, (r < 30 ? cutoff - DAY : now - DAY) + r);
      db.exec('INSERT INTO reading_index SELECT stream_id, ts, id, value FROM readings');
      db.exec('UPDATE reading_index_mark SET indexed_to = (SELECT max(id) FROM readings)');
      // Expired too, but not indexed yet: left for a later pass.
      for (let s = 1; s <= 20; s++) ins.run(s, cutoff - DAY + 100);
    })();
    const retention = new ReadingRetention(db);
    const steps: { deleted: number; more: boolean }[] = [];
    for (let more = true; more; ) {
      const step = retention.step(cutoff, 100);
      steps.push(step);
      more = step.more;
    }
    expect(steps.reduce((n, s) => n + s.deleted, 0)).toBe(1500);
    expect(steps.every((s) => s.deleted <= 100)).toBe(true);
    expect(steps.at(-1)).toEqual({ deleted: 0, more: false });
    // Left: each stream's 10 recent readings with their index rows, and the 20 not indexed.
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count(`SELECT count(*) AS n FROM readings WHERE ts >= ${cutoff}`)).toBe(500);
    expect(count(`SELECT count(*) AS n FROM readings WHERE ts < ${cutoff}`)).toBe(20);
    expect(count('SELECT count(*) AS n FROM reading_index')).toBe(500);
    expect(count(`SELECT count(*) AS n FROM reading_index WHERE ts < ${cutoff}`)).toBe(0);
    // No index row outlives its reading.
    expect(count('SELECT count(*) AS n FROM reading_index x LEFT JOIN readings r ON r.id = x.id WHERE r.id IS NULL')).toBe(0);
    // Indexed now, the 20 are still behind readings within retention: they wait for those, index rows and all.
    db.exec('INSERT INTO reading_index SELECT stream_id, ts, id, value FROM readings WHERE id > 2000');
    db.exec('UPDATE reading_index_mark SET indexed_to = (SELECT max(id) FROM readings)');
    expect(retention.step(cutoff + 1, 100)).toEqual({ deleted: 0, more: false });
    expect(count('SELECT count(*) AS n FROM readings')).toBe(520);
    expect(count('SELECT count(*) AS n FROM reading_index')).toBe(520);
    store.close();
  });

  it('deletes a stream\'s index rows a bounded number a step, however many it has', () => {
    const store = Store.open(tmp.path('long.db'));
    const db = store.db;
    const cutoff = 100 * DAY;
    db.prepare("INSERT INTO streams (id, key, first_seen, last_seen) VALUES (1, 'a', 0, 0), (2, 'b', 0, 0)").run();
    const ins = db.prepare('INSERT INTO readings (stream_id, ts, value) VALUES (?, ?, 1)');
    db.transaction(() => {
      // Stream 1: 50 expired readings, stream 2: 3; then one recent reading each.
      for (let i = 0; i < 50; i++) ins.run(1, cutoff - DAY + i);
      for (let i = 0; i < 3; i++) ins.run(2, cutoff - DAY + i);
      ins.run(1, cutoff + 1);
      ins.run(2, cutoff + 1);
      db.exec('INSERT INTO reading_index SELECT stream_id, ts, id, value FROM readings');
      db.exec('UPDATE reading_index_mark SET indexed_to = (SELECT max(id) FROM readings)');
    })();
    const retention = new ReadingRetention(db, 8);
    const indexRows = () => (db.prepare('SELECT count(*) AS n FROM reading_index').get() as { n: number }).n;
    const seen: number[] = [];
    let deleted = 0;
    for (let more = true; more; ) {
      const step = retention.step(cutoff, 100);
      seen.push(indexRows());
      deleted += step.deleted;
      more = step.more;
    }
    // Index rows went 8 at most a step (after the step that found the first kept reading), then the readings.
    const drops = seen.slice(1).map((n, i) => seen[i] - n);
    expect(Math.max(...drops)).toBeLessThanOrEqual(8);
    expect(deleted).toBe(53);
    expect(indexRows()).toBe(2);
    expect(db.prepare('SELECT stream_id AS s, ts FROM readings ORDER BY id').all()).toEqual([{ s: 1, ts: cutoff + 1 }, { s: 2, ts: cutoff + 1 }]);
    store.close();
  });

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
    // A pass: the first kept reading found (one step), the stream's index rows before it (one step), then the readings, 1,000 a step.
    const retention = new ReadingRetention(db);
    const steps: number[] = [];
    for (let more = true; more; ) {
      const step = retention.step(cutoff, 1000);
      steps.push(step.deleted);
      more = step.more;
    }
    expect(steps).toEqual([0, 0, 1000, 1000, 500, 0]);
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
