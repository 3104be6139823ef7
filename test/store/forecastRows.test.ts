import { afterAll, describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/engine/reading.ts';
import { type Tick, tickOf } from '../../src/engine/stepTicks.ts';
import { SEASON_SLOTS, Stat, STAT_COUNT } from '../../src/engine/streamStats.ts';
import { decodePoints } from '../../src/store/forecastPoints.ts';
import { StoreQueries } from '../../src/store/queries.ts';
import { ReadingRetention } from '../../src/store/readingRetention.ts';
import { pruneBatch } from '../../src/store/retention.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-forecast-rows');
afterAll(() => tmp.remove());
const T0 = Date.UTC(2026, 5, 1);
const MIN = 60_000;

/** A forecast as the engine emits it; horizons 1, 6, 24; the first reading's target times unknown (null). */
function forecast(stream: string, i: number, modelVersion = 1): Forecast {
  const ts = T0 + i * MIN;
  return {
    kind: 'forecast', stream, ts, value: 10 + i, modelVersion, prior: null, anomaly: { score: 0, likelihood: 0 },
    points: [1, 6, 24].map((h, j) => ({ horizon: h, ts: i === 0 ? null : ts + h * MIN, mean: 10 + i + j / 3, scale: 0.5, lower: 9 + i - j * 0.1, upper: 11 + i + j * 0.7 })),
  };
}
const tick = (fs: Forecast[]): Tick => tickOf(fs);

/** The points BLOB read as the migration documents it: per horizon, five little-endian float64s. */
function readBlobByHand(b: Buffer): number[][] {
  const out: number[][] = [];
  for (let off = 0; off < b.length; off += 40) out.push([0, 1, 2, 3, 4].map((k) => b.readDoubleLE(off + k * 8)));
  return out;
}

describe('forecast rows', () => {
  it('stores one row per reading, keyed by its reading, every horizon in the documented BLOB layout', () => {
    const store = Store.open(tmp.path('rows.db'));
    const fs = [forecast('a', 0), forecast('b', 0), forecast('a', 1, 3)];
    store.writer.write(tick(fs));
    const rows = store.db
      .prepare('SELECT s.key AS key, r.ts AS ts, f.made_at AS madeAt, f.model_version AS mv, f.points AS points FROM forecasts f JOIN readings r ON r.id = f.reading_id JOIN streams s ON s.id = r.stream_id ORDER BY r.id')
      .all() as { key: string; ts: number; madeAt: number; mv: number; points: Buffer }[];
    expect(rows).toHaveLength(fs.length);
    rows.forEach((row, i) => {
      const f = fs[i];
      expect([row.key, row.ts, row.madeAt, row.mv]).toEqual([f.stream, f.ts, f.ts, f.modelVersion]);
      expect(row.points.length).toBe(3 * 40);
      const got = readBlobByHand(row.points);
      f.points.forEach((p, j) => {
        expect(got[j][0]).toBe(p.horizon);
        if (p.ts === null) expect(got[j][1]).toBeNaN();
        else expect(got[j][1]).toBe(p.ts);
        expect(got[j].slice(2)).toEqual([p.mean, p.lower, p.upper]);
      });
    });
    store.close();
  });

  it('refuses a points BLOB that is not a whole number of points, saying so', () => {
    expect(() => decodePoints(new Uint8Array(41))).toThrow(new RangeError('a forecast points BLOB of 41 bytes is not a whole number of 40-byte points'));
    expect(decodePoints(new Uint8Array(0))).toEqual([]);
  });

  it('serves a row per reading and horizon through the query API, filtered by horizon and limited in rows', () => {
    const store = Store.open(tmp.path('query.db'));
    const fs = Array.from({ length: 6 }, (_, i) => forecast('q', i));
    store.writer.write(tick(fs.slice(0, 3)));
    store.writer.write(tick(fs.slice(3)));
    const queries = new StoreQueries(store.db, store.writer.streams);
    const all = queries.forecasts('q', { from: T0 + MIN, to: T0 + 4 * MIN, limit: 1000 }, null);
    const want = fs.slice(1, 5).flatMap((f) => f.points.map((p) => ({ madeAt: f.ts, horizon: p.horizon, targetTs: p.ts, mean: p.mean, lower: p.lower, upper: p.upper, modelVersion: 1 })));
    expect(all).toEqual(want);
    expect(queries.forecasts('q', { from: T0, to: T0 + 10 * MIN, limit: 1000 }, 6)?.map((r) => [r.madeAt, r.horizon])).toEqual(fs.map((f) => [f.ts, 6]));
    expect(queries.forecasts('q', { from: T0, to: T0 + 10 * MIN, limit: 4 }, null)).toHaveLength(4);
    expect(queries.forecasts('q', { from: T0, to: T0 + 10 * MIN, limit: 2 }, 24)?.map((r) => r.madeAt)).toEqual([T0, T0 + MIN]);
    expect(queries.forecasts('nobody', { from: T0, to: T0 + 10 * MIN, limit: 10 }, null)).toBeUndefined();
    store.close();
  });

  it("reports a stream's latest reading as last seen without a snapshot, and the snapshot's once its readings are pruned", () => {
    const store = Store.open(tmp.path('seen.db'));
    store.writer.write(tick([forecast('s', 0)]));
    store.writer.write(tick([forecast('s', 5), forecast('t', 2)]));
    const queries = new StoreQueries(store.db, store.writer.streams);
    expect(queries.streams(null, 10, 0)).toEqual([
      { key: 's', firstSeen: T0, lastSeen: T0 + 5 * MIN },
      { key: 't', firstSeen: T0 + 2 * MIN, lastSeen: T0 + 2 * MIN },
    ]);
    // A snapshot records the state's last reading time in the column; with no readings left
    // (retention), the column answers.
    const stats = new Float64Array(STAT_COUNT);
    stats[Stat.LAST_TS] = T0 + 5 * MIN;
    store.snapshots.save([{ state: { key: 's', hidden: new Float32Array(4), stats, profile: new Float32Array(SEASON_SLOTS) }, lastReadingId: 2 }], 1);
    store.writer.index.flush(); // readings are pruned once indexed
    const retention = new ReadingRetention(store.db);
    while (retention.step(T0 + 10 * MIN, 100).more);
    expect(store.db.prepare('SELECT count(*) AS n FROM readings').get()).toEqual({ n: 0 });
    expect(queries.streams('s', 10, 0)).toEqual([{ key: 's', firstSeen: T0, lastSeen: T0 + 5 * MIN }]);
    store.close();
  });

  it('prunes forecasts by the time they were made, oldest first, in bounded batches', () => {
    const store = Store.open(tmp.path('prune.db'));
    store.writer.write(tick(Array.from({ length: 250 }, (_, i) => forecast(`p-${i % 7}`, i))));
    const batches: number[] = [];
    for (let n = -1; n !== 0; ) {
      n = pruneBatch(store.db, 'forecasts', T0 + 200 * MIN, 80);
      batches.push(n);
    }
    expect(batches).toEqual([80, 80, 40, 0]);
    expect(store.db.prepare('SELECT count(*) AS n, min(made_at) AS oldest FROM forecasts').get()).toEqual({ n: 50, oldest: T0 + 200 * MIN });
    store.close();
  });
});
