import { afterAll, describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/engine/reading.ts';
import { type Tick, tickOf } from '../../src/engine/stepTicks.ts';
import { StoreQueries } from '../../src/store/queries.ts';
import { ReadingRetention } from '../../src/store/readingRetention.ts';
import { Store } from '../../src/store/store.ts';
import { StreamHistories } from '../../src/store/streamReadings.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-reading-index');
afterAll(() => tmp.remove());
const T0 = Date.UTC(2026, 5, 1);
const SEC = 1000;

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function forecast(stream: string, ts: number, value: number): Forecast {
  return {
    kind: 'forecast', stream, ts, value, modelVersion: 1, prior: null, anomaly: { score: 0, likelihood: 0 },
    points: [{ horizon: 1, ts: ts + SEC, mean: value, scale: 1, lower: value - 1, upper: value + 1 }],
  };
}
const tick = (fs: Forecast[]): Tick => tickOf(fs);

/** Readings of `streams` streams in ticks of 1–20, interleaved at random, each stream's times increasing; and what each stream holds. */
function generate(seed: number, ticks: number, streams: number): { ticks: Forecast[][]; byStream: Map<string, { ts: number; value: number }[]> } {
  const r = rng(seed);
  const next = new Map<string, number>();
  const byStream = new Map<string, { ts: number; value: number }[]>();
  const out: Forecast[][] = [];
  for (let t = 0; t < ticks; t++) {
    const fs: Forecast[] = [];
    const n = 1 + Math.floor(r() * 20);
    for (let i = 0; i < n; i++) {
      const key = `plant/s-${Math.floor(r() * streams)}`;
      if (fs.some((f) => f.stream === key)) continue; // one reading per stream per tick, as the engine steps
      const ts = (next.get(key) ?? T0) + 1 + Math.floor(r() * 5 * SEC);
      next.set(key, ts);
      const value = Math.round(r() * 1e6) / 100;
      fs.push(forecast(key, ts, value));
      if (!byStream.has(key)) byStream.set(key, []);
      byStream.get(key)?.push({ ts, value });
    }
    out.push(fs);
  }
  return { ticks: out, byStream };
}

/** What the queries answer agrees with what was written, for every stream, however much is indexed yet. */
function expectQueriesAgree(store: Store, byStream: Map<string, { ts: number; value: number }[]>, r: () => number): void {
  const queries = new StoreQueries(store.db, store.writer.streams);
  const latest = new StreamHistories(store.db).latest(7);
  for (const [key, rows] of byStream) {
    expect(queries.readings(key, { from: -Infinity, to: Infinity, limit: 1e9 })).toEqual(rows);
    const a = rows[Math.floor(r() * rows.length)].ts;
    const b = rows[Math.floor(r() * rows.length)].ts;
    const [from, to] = [Math.min(a, b), Math.max(a, b)];
    const limit = 1 + Math.floor(r() * 5);
    expect(queries.readings(key, { from, to, limit })).toEqual(rows.filter((x) => x.ts >= from && x.ts <= to).slice(0, limit));
    expect(queries.forecasts(key, { from, to, limit: 1e9 }, null)?.map((f) => [f.madeAt, f.mean])).toEqual(rows.filter((x) => x.ts >= from && x.ts <= to).map((x) => [x.ts, x.value]));
    const sid = store.writer.streams.find(key) as number;
    expect(latest(sid)).toEqual(rows.slice(-7));
    expect(new StreamHistories(store.db).latest(5, [sid])(sid)).toEqual(rows.slice(-5));
  }
  const seen = queries.streams(null, 1e6, 0);
  expect(seen.map((s) => [s.key, s.lastSeen])).toEqual([...byStream].sort(([x], [y]) => (x < y ? -1 : 1)).map(([key, rows]) => [key, rows[rows.length - 1].ts]));
}

const countOf = (store: Store, sql: string): number => (store.db.prepare(sql).get() as { n: number }).n;

describe('readings indexed by stream in the background', () => {
  it('answers queries by stream with every reading written, before, during and after their batch is indexed', () => {
    const store = Store.open(tmp.path('agree.db'), { index: { batch: 50, maxDelayMs: 60_000, chunk: 7 } });
    const { ticks, byStream } = generate(1, 120, 9);
    const r = rng(2);
    const seen = new Map<string, { ts: number; value: number }[]>();
    let sawPartialBatch = false;
    ticks.forEach((fs, t) => {
      store.writer.write(tick(fs));
      for (const f of fs) {
        if (!seen.has(f.stream)) seen.set(f.stream, []);
        seen.get(f.stream)?.push({ ts: f.ts, value: f.value });
      }
      for (let k = Math.floor(r() * 4); k > 0; k--) store.writer.index.step();
      const mark = countOf(store, 'SELECT indexed_to AS n FROM reading_index_mark');
      // Rows of a batch in progress sit past the mark: written, not yet counted as indexed.
      if (countOf(store, `SELECT count(*) AS n FROM reading_index WHERE id > ${mark}`) > 0) sawPartialBatch = true;
      expect(countOf(store, `SELECT count(*) AS n FROM reading_index WHERE id <= ${mark}`)).toBe(countOf(store, `SELECT count(*) AS n FROM readings WHERE id <= ${mark}`));
      if (t % 15 === 0) expectQueriesAgree(store, seen, r);
    });
    expect(sawPartialBatch).toBe(true);
    expect(store.writer.index.waiting).toBeGreaterThan(0);
    expectQueriesAgree(store, byStream, r);
    store.writer.index.flush();
    expect(store.writer.index.waiting).toBe(0);
    expect(countOf(store, 'SELECT indexed_to AS n FROM reading_index_mark')).toBe(countOf(store, 'SELECT max(id) AS n FROM readings'));
    expect(store.db.prepare('SELECT r.stream_id, r.ts, r.id, r.value FROM readings r ORDER BY r.id').raw().all()).toEqual(
      store.db.prepare('SELECT stream_id, ts, id, value FROM reading_index ORDER BY id').raw().all(),
    );
    expectQueriesAgree(store, byStream, r);
    store.close();
  });

  it('indexes a batch once it is full, or once its oldest reading has waited long enough', () => {
    const store = Store.open(tmp.path('due.db'), { index: { batch: 10, maxDelayMs: 1000, chunk: 100 } });
    const index = store.writer.index;
    const now = performance.now();
    expect(index.due(now + 1e6)).toBe(false); // nothing waits
    store.writer.write(tick([forecast('a', T0, 1)]));
    expect(index.due(performance.now())).toBe(false);
    expect(index.due(performance.now() + 1000)).toBe(true);
    store.writer.write(tick(Array.from({ length: 9 }, (_, i) => forecast(`b-${i}`, T0, i))));
    expect(index.due(performance.now())).toBe(true);
    expect(index.step()).toBe(10);
    expect(index.waiting).toBe(0);
    expect(index.due(performance.now() + 1e6)).toBe(false);
    expect(countOf(store, 'SELECT count(*) AS n FROM reading_index')).toBe(10);
    store.close();
  });

  it('writes again, once each, the rows of a batch a crash interrupted', () => {
    const file = tmp.path('crash.db');
    let store = Store.open(file, { index: { batch: 100, maxDelayMs: 60_000, chunk: 10 } });
    const { ticks, byStream } = generate(3, 30, 5);
    for (const fs of ticks) store.writer.write(tick(fs));
    const written = countOf(store, 'SELECT count(*) AS n FROM readings');
    expect(written).toBeGreaterThan(100);
    for (let k = 0; k < 3; k++) store.writer.index.step(Infinity);
    expect(countOf(store, 'SELECT count(*) AS n FROM reading_index')).toBe(30);
    expect(countOf(store, 'SELECT indexed_to AS n FROM reading_index_mark')).toBe(0);
    store.close(); // as a crash would leave it: three chunks written, the mark not moved

    store = Store.open(file, { index: { batch: 100, maxDelayMs: 60_000, chunk: 10 } });
    expect(store.writer.index.waiting).toBe(written);
    expectQueriesAgree(store, byStream, rng(4));
    store.writer.index.flush();
    expect(countOf(store, 'SELECT count(*) AS n FROM reading_index')).toBe(written);
    expect(countOf(store, 'SELECT count(DISTINCT id) AS n FROM reading_index')).toBe(written);
    expectQueriesAgree(store, byStream, rng(5));
    store.close();
  });

  it('keeps nothing of a tick whose transaction rolled back', () => {
    const store = Store.open(tmp.path('rollback.db'), { index: { batch: 1000, maxDelayMs: 60_000, chunk: 100 } });
    store.writer.write(tick([forecast('a', T0, 1)]));
    // The 100th reading of the next tick fails inside the transaction, after the first 99 were staged.
    store.db.exec(`CREATE TRIGGER fail BEFORE INSERT ON forecasts WHEN NEW.made_at = ${T0 + 666} BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    const bad = Array.from({ length: 100 }, (_, i) => forecast(`b-${i}`, i === 99 ? T0 + 666 : T0, i));
    expect(() => store.writer.write(tick(bad))).toThrow(/refused/);
    expect(store.writer.index.waiting).toBe(1);
    store.writer.write(tick([forecast('c', T0, 3)]));
    store.writer.index.flush();
    expect(store.db.prepare('SELECT id FROM reading_index ORDER BY id').raw().all()).toEqual(store.db.prepare('SELECT id FROM readings ORDER BY id').raw().all());
    expect(countOf(store, 'SELECT count(*) AS n FROM reading_index')).toBe(2);
    store.close();
  });

  it('prunes readings with their index rows, and leaves readings not yet indexed until they are', () => {
    const store = Store.open(tmp.path('prune.db'), { index: { batch: 1000, maxDelayMs: 60_000, chunk: 100 } });
    store.writer.write(tick(Array.from({ length: 30 }, (_, i) => forecast(`s-${i % 3}`, T0 + i * SEC, i))));
    store.writer.index.flush();
    store.writer.write(tick(Array.from({ length: 30 }, (_, i) => forecast(`s-${i % 3}`, T0 + (100 + i) * SEC, i))));
    // Everything is older than the cutoff, but only the first 30 are indexed.
    const retention = new ReadingRetention(store.db);
    const pass = () => {
      let total = 0;
      for (let more = true; more; ) {
        const step = retention.step(T0 + 1000 * SEC, 7);
        total += step.deleted;
        more = step.more;
      }
      return total;
    };
    expect(pass()).toBe(30);
    expect(countOf(store, 'SELECT count(*) AS n FROM reading_index')).toBe(0);
    expect(countOf(store, 'SELECT count(*) AS n FROM readings')).toBe(30);
    store.writer.index.flush();
    expect(pass()).toBe(30);
    expect(countOf(store, 'SELECT count(*) AS n FROM readings')).toBe(0);
    expect(countOf(store, 'SELECT count(*) AS n FROM reading_index')).toBe(0);
    store.close();
  });
});
