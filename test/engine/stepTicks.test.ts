import { from, lastValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/engine/reading.ts';
import { forecast, stepTicks } from '../../src/engine/stepTicks.ts';
import { useBestBackend } from '../support/backend.ts';
import { pino } from 'pino';
import type { BackendName } from '../../src/config.ts';
import { Engine } from '../../src/engine/engine.ts';
import { ParallelRounds } from '../../src/engine/parallelRounds.ts';
import { StateTable } from '../../src/engine/stateTable.ts';
import { HIDDEN, makeEngine, reading, SPEC, WEIGHTS } from '../support/engineFixture.ts';

describe('forecast operator', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('groups readings into ticks of at most maxBatch or maxWait, on the injected scheduler', () => {
    const engine = makeEngine();
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      const r = (i: number) => reading('s', i);
      const values = { a: r(0), b: r(1), c: r(2), d: r(3) };
      const ticks = cold('ab 5ms cd 50ms |', values).pipe(stepTicks(engine, { maxBatch: 3, maxWaitMs: 10, coverage: 0.95, scheduler: ts }));
      // a, b at 0-1; c at 7 fills the tick (3); d at 8 waits 10ms, to 18.
      expectObservable(ticks.pipe(map((t) => t.readings.length))).toBe('7ms x 10ms y 40ms |', { x: 3, y: 1 });
    });
    engine.dispose();
  });

  it('emits, per stream, outcomes in input order, each forecast made after taking its reading', async () => {
    const engine = makeEngine();
    const reference = makeEngine();
    const readings = [];
    for (let i = 0; i < 30; i++) readings.push(reading('u', i), reading('v', i));
    const outcomes = await lastValueFrom(from(readings).pipe(forecast(engine, { maxBatch: 7, maxWaitMs: 0, coverage: 0.9 }), toArray()));
    expect(outcomes).toHaveLength(60);
    const forecasts = outcomes.filter((o): o is Forecast => o.kind === 'forecast');
    expect(forecasts.map((f) => [f.stream, f.ts])).toEqual(readings.map((r) => [r.stream, r.ts]));
    // Stepping each reading alone gives the same forecasts: batching is invisible.
    for (const [i, r] of readings.entries()) {
      const alone = reference.step([r]);
      expect(forecasts[i].points[0].mean).toBeCloseTo(alone.mean[0], 3);
      expect(forecasts[i].modelVersion).toBe(3);
    }
    engine.dispose();
    reference.dispose();
  });

  it('gives forecast intervals of the configured coverage around the mean', async () => {
    const engine = makeEngine();
    const outcomes = await lastValueFrom(from([reading('w', 0), reading('w', 1)]).pipe(forecast(engine, { maxBatch: 8, maxWaitMs: 0, coverage: 0.95 }), toArray()));
    const f = outcomes[1];
    if (f.kind !== 'forecast') throw new Error('expected a forecast');
    for (const p of f.points) {
      expect(p.upper - p.mean).toBeCloseTo(1.959964 * p.scale, 4);
      expect(p.mean - p.lower).toBeCloseTo(1.959964 * p.scale, 4);
      expect(p.scale).toBeGreaterThan(0);
    }
    expect(f.points[1].ts).toBe(f.ts + 3 * 60_000);
    expect(f.prior).not.toBeNull();
    engine.dispose();
  });

  it('with compute threads, steps each tick without blocking, emits them in order and completes after the last', async () => {
    const name = await useBestBackend();
    const backend: BackendName = name === 'tensorflow' || name === 'tensorflow-gpu' ? name : name === 'wasm' ? 'wasm' : 'cpu';
    const pool = await ParallelRounds.create(SPEC, WEIGHTS, { backend, threads: 2, minRowsToSplit: 8, log: pino({ level: 'silent' }) });
    const engine = new Engine(pool, new StateTable(HIDDEN, 2), { maxKeyLength: 64, modelVersion: 3 });
    const reference = makeEngine();
    expect(engine.stepsAsync).toBe(true);
    const readings = [];
    for (let i = 0; i < 12; i++) for (let s = 0; s < 50; s++) readings.push(reading(`t-${s}`, i));
    const ticks = await lastValueFrom(from(readings).pipe(stepTicks(engine, { maxBatch: 64, maxWaitMs: 0, coverage: 0.9 }), toArray()));
    // Every reading, once, in input order, each tick at most maxBatch (several rounds where a stream repeats).
    expect(ticks.flatMap((t) => t.readings)).toEqual(readings);
    expect(Math.max(...ticks.map((t) => t.readings.length))).toBeLessThanOrEqual(64);
    const forecasts = ticks.flatMap((t) => t.outcomes).filter((o): o is Forecast => o.kind === 'forecast');
    expect(forecasts).toHaveLength(readings.length);
    for (const [i, r] of readings.entries()) {
      const alone = reference.step([r]);
      expect(forecasts[i].points[0].mean).toBeCloseTo(alone.mean[0], 3);
    }
    engine.dispose();
    reference.dispose();
  });
});
