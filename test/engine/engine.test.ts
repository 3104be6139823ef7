import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT, takeReading } from '../../src/engine/features.ts';
import { initStats, STAT_COUNT } from '../../src/engine/streamStats.ts';
import { useBestBackend } from '../support/backend.ts';
import { HIDDEN, makeEngine, reading, WEIGHTS } from '../support/engineFixture.ts';
import { refGruStep } from '../support/referenceGru.ts';

describe('Engine', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it("keeps each stream's hidden state equal to the float64 reference GRU over its features", () => {
    const engine = makeEngine();
    const streams = ['a', 'b', 'c'];
    const ref = new Map(streams.map((s) => [s, { h: new Array<number>(HIDDEN).fill(0), stats: new Float64Array(STAT_COUNT) }]));
    for (const r of ref.values()) initStats(r.stats, 0);
    const x = new Float32Array(FEATURE_COUNT);
    for (let i = 0; i < 60; i++) {
      const tick = streams.map((s) => reading(s, i));
      engine.step(tick);
      for (const rd of tick) {
        const r = ref.get(rd.stream);
        if (r === undefined) throw new Error('missing');
        takeReading(r.stats, 0, rd.ts, rd.value, x, 0);
        r.h = refGruStep(WEIGHTS, Array.from(x), r.h);
      }
    }
    for (const s of streams) {
      const got = engine.table.exportState(s)?.hidden;
      const want = ref.get(s)?.h ?? [];
      for (let j = 0; j < HIDDEN; j++) expect(Math.abs((got?.[j] ?? NaN) - want[j])).toBeLessThan(1e-5);
    }
    engine.dispose();
  });

  it('gives the same states and forecasts batched across streams as stepping each stream alone', () => {
    const batched = makeEngine();
    const alone = makeEngine();
    const streams = Array.from({ length: 40 }, (_, i) => `sensor-${i}`);
    for (let i = 0; i < 15; i++) {
      const tick = streams.map((s) => reading(s, i));
      const out = batched.step(tick);
      const means = Array.from(out.mean.subarray(0, out.count * 2));
      tick.forEach((r, j) => {
        const single = alone.step([r]);
        expect(single.mean[0]).toBeCloseTo(means[j * 2], 4);
        expect(single.mean[1]).toBeCloseTo(means[j * 2 + 1], 4);
      });
    }
    for (const s of streams) {
      const a = batched.table.exportState(s)?.hidden ?? new Float32Array();
      const b = alone.table.exportState(s)?.hidden ?? new Float32Array();
      for (let j = 0; j < HIDDEN; j++) expect(a[j]).toBeCloseTo(b[j], 5);
    }
    batched.dispose();
    alone.dispose();
  });

  it("never lets one stream's readings change another stream's state", () => {
    const quiet = makeEngine();
    const noisy = makeEngine();
    for (let i = 0; i < 20; i++) {
      quiet.step([reading('x', i)]);
      // The same stream x, next to a stream whose values are extreme.
      noisy.step([{ stream: 'loud', ts: Date.UTC(2026, 0, 1) + i * 1000, value: (i % 2 ? 1e9 : -1e9) }, reading('x', i)]);
    }
    expect(Array.from(noisy.table.exportState('x')?.hidden ?? [])).toEqual(Array.from(quiet.table.exportState('x')?.hidden ?? []));
    expect(Array.from(noisy.table.exportState('x')?.stats ?? [])).toEqual(Array.from(quiet.table.exportState('x')?.stats ?? []));
    quiet.dispose();
    noisy.dispose();
  });

  it("applies several readings of one stream in one tick as successive steps, in order", () => {
    const together = makeEngine();
    const apart = makeEngine();
    const readings = [reading('s', 0), reading('t', 0), reading('s', 1), reading('s', 2), reading('t', 1)];
    const out = together.step(readings);
    expect(out.rounds).toBe(3);
    expect(out.count).toBe(5);
    const perStep = readings.map((r) => apart.step([r]).mean[0]);
    // Row p of the output is the p-th reading in input order.
    expect(Array.from(out.readingIndex.subarray(0, 5))).toEqual([0, 1, 2, 3, 4]);
    perStep.forEach((m, p) => expect(out.mean[p * 2]).toBeCloseTo(m, 4));
    expect(Array.from(together.table.exportState('s')?.hidden ?? [])).toEqual(Array.from(apart.table.exportState('s')?.hidden ?? []));
    together.dispose();
    apart.dispose();
  });

  it('reports, with each forecast, the one-step forecast made before its reading arrived', () => {
    const engine = makeEngine();
    const first = engine.step([reading('p', 0)]);
    expect(Number.isNaN(first.priorMean[0])).toBe(true);
    const nextMean = first.mean[0];
    const nextScale = first.scale[0];
    const second = engine.step([reading('p', 1)]);
    expect(second.priorMean[0]).toBe(nextMean);
    expect(second.priorScale[0]).toBe(nextScale);
    engine.dispose();
  });

  it('holds the tensor count steady: the same after 1,000 ticks as after 10', () => {
    const engine = makeEngine();
    const streams = Array.from({ length: 16 }, (_, i) => `m-${i}`);
    let i = 0;
    const tick = () => {
      engine.step(streams.map((s) => reading(s, i)));
      i++;
    };
    for (let t = 0; t < 10; t++) tick();
    const after10 = tf.memory().numTensors;
    for (let t = 0; t < 990; t++) tick();
    expect(tf.memory().numTensors).toBe(after10);
    engine.dispose();
  });

  it('grows the state table as new streams arrive and keeps the old ones intact', () => {
    const engine = makeEngine();
    engine.step([reading('first', 0)]);
    const before = engine.table.exportState('first');
    engine.step(Array.from({ length: 100 }, (_, i) => reading(`new-${i}`, 0)));
    expect(engine.table.size).toBe(101);
    expect(engine.table.exportState('first')).toEqual(before);
    engine.dispose();
  });
});
