import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.ts';
import type { Forecast } from '../../src/engine/reading.ts';
import { recover } from '../../src/store/recovery.ts';
import { SnapshotTracker } from '../../src/store/snapshotTracker.ts';
import { Store } from '../../src/store/store.ts';
import { useBestBackend } from '../support/backend.ts';
import { HIDDEN, makeEngine, reading } from '../support/engineFixture.ts';
import { stepTick } from '../../src/engine/stepTicks.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-recovery');
afterAll(() => tmp.remove());
const silent = pino({ level: 'silent' });

const STREAMS = Array.from({ length: 120 }, (_, i) => `r-${i}`);
/** Tick t: most streams read once, some twice, a few skip it (irregular arrivals). */
function tickReadings(t: number) {
  return STREAMS.flatMap((s, i) => (i % 7 === t % 7 ? [] : i % 5 === 0 ? [reading(s, 2 * t), reading(s, 2 * t + 1)] : [reading(s, 2 * t)]));
}

function run(engine: Engine, store: Store, tracker: SnapshotTracker, from: number, to: number, snapshotAt = -1): Forecast[] {
  const forecasts: Forecast[] = [];
  for (let t = from; t < to; t++) {
    const tick = stepTick(engine, tickReadings(t), 0.95);
    tracker.afterTick(store.writer.write(tick));
    forecasts.push(...tick.outcomes.filter((o): o is Forecast => o.kind === 'forecast'));
    if (t === snapshotAt) tracker.snapshot(engine);
  }
  return forecasts;
}

describe('recovery', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('after a crash, rebuilds every stream state and forecast of an uninterrupted run from snapshot plus replay', () => {
    const TICKS = 30;
    const CRASH = 21;
    const straightStore = Store.open(tmp.path('straight.db'));
    const straight = makeEngine();
    const straightForecasts = run(straight, straightStore, new SnapshotTracker(straightStore.snapshots), 0, TICKS);

    const file = tmp.path('crashy.db');
    let store = Store.open(file);
    let engine = makeEngine();
    run(engine, store, new SnapshotTracker(store.snapshots), 0, CRASH, 9);
    // The crash: no final snapshot; the in-memory states are lost.
    engine.dispose();
    store.close();

    store = Store.open(file);
    engine = makeEngine();
    const tracker = new SnapshotTracker(store.snapshots);
    const result = recover(engine, store, tracker, silent, 64);
    expect(result.streams).toBe(STREAMS.length);
    expect(result.replayed).toBeGreaterThan(0);
    const after = run(engine, store, tracker, CRASH, TICKS);

    for (const s of STREAMS) {
      const got = engine.table.exportState(s);
      const want = straight.table.exportState(s);
      for (let j = 0; j < HIDDEN; j++) expect(Math.abs((got?.hidden[j] ?? NaN) - (want?.hidden[j] ?? NaN))).toBeLessThan(1e-5);
      expect(Array.from(got?.stats ?? [])).toEqual(Array.from(want?.stats ?? []));
    }
    const tail = straightForecasts.slice(straightForecasts.length - after.length);
    expect(after.map((f) => [f.stream, f.ts])).toEqual(tail.map((f) => [f.stream, f.ts]));
    after.forEach((f, i) => f.points.forEach((p, k) => expect(p.mean).toBeCloseTo(tail[i].points[k].mean, 6)));
    // Every reading stored exactly once.
    const rows = store.db.prepare('SELECT count(*) AS n, count(DISTINCT stream_id || \':\' || ts) AS d FROM readings').get();
    const expected = Array.from({ length: TICKS }, (_, t) => tickReadings(t).length).reduce((a, b) => a + b, 0);
    expect(rows).toEqual({ n: expected, d: expected });
    for (const e of [engine, straight]) e.dispose();
    store.close();
    straightStore.close();
  });

  it('replays from the lowest reading any stream needs: a stream without a snapshot from its first, when the rest are indexed and snapshotted later', () => {
    const TICKS = 16;
    const straightStore = Store.open(tmp.path('straight-floor.db'));
    const straight = makeEngine();
    run(straight, straightStore, new SnapshotTracker(straightStore.snapshots), 0, TICKS);

    const file = tmp.path('floor.db');
    let store = Store.open(file);
    let engine = makeEngine();
    run(engine, store, new SnapshotTracker(store.snapshots), 0, TICKS, 12);
    // Every reading indexed by stream (the mark past them all), then one stream's snapshot lost:
    // it must be replayed from its first reading, far below the other snapshots' last ones.
    store.writer.index.flush();
    const lost = store.db.prepare('SELECT id FROM streams WHERE key = ?').get(STREAMS[3]) as { id: number };
    store.db.prepare('DELETE FROM stream_states WHERE stream_id = ?').run(lost.id);
    engine.dispose();
    store.close();

    store = Store.open(file);
    engine = makeEngine();
    recover(engine, store, new SnapshotTracker(store.snapshots), silent, 64);
    for (const s of STREAMS) {
      const got = engine.table.exportState(s);
      const want = straight.table.exportState(s);
      for (let j = 0; j < HIDDEN; j++) expect(Math.abs((got?.hidden[j] ?? NaN) - (want?.hidden[j] ?? NaN))).toBeLessThan(1e-5);
      expect(Array.from(got?.stats ?? [])).toEqual(Array.from(want?.stats ?? []));
    }
    for (const e of [engine, straight]) e.dispose();
    store.close();
    straightStore.close();
  });

  it('recovers from readings alone when no snapshot was ever taken', () => {
    const file = tmp.path('nosnap.db');
    let store = Store.open(file);
    const first = makeEngine();
    run(first, store, new SnapshotTracker(store.snapshots), 0, 5);
    store.close();
    store = Store.open(file);
    const engine = makeEngine();
    recover(engine, store, new SnapshotTracker(store.snapshots), silent);
    for (const s of STREAMS) expect(Array.from(engine.table.exportState(s)?.hidden ?? [])).toEqual(Array.from(first.table.exportState(s)?.hidden ?? []));
    first.dispose();
    engine.dispose();
    store.close();
  });
});
