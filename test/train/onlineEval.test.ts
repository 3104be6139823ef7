import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { parseHorizons } from '../../src/cli/evalOnline.ts';
import type { CsvTable } from '../../src/ingest/csvReplay.ts';
import { ONLINE_DEFAULTS, type OnlineSettings, type OnlineSplit, runOnlineEval } from '../../src/train/onlineEval.ts';
import type { TrainingData } from '../../src/train/trainingData.ts';
import { cutWindows } from '../../src/train/trainingWindows.ts';
import { Rng } from '../../src/util/rng.ts';
import { useBestBackend } from '../support/backend.ts';

const SPLIT: OnlineSplit = { trainEnd: 400, validStart: 380, validEnd: 500, testStart: 480, testEnd: 900, lookback: 20 };
const SETTINGS: OnlineSettings = {
  ...ONLINE_DEFAULTS,
  hidden: 8,
  window: 48,
  stride: 12,
  burnIn: 8,
  warmupEpochs: 20,
  patience: 4,
  learningRate: 1e-2,
  batchSize: 32,
  updateEvery: 100,
  updateRows: 200,
  holdOut: 24,
  updateEpochs: 1,
  updateLearningRate: 3e-3,
  rewarmReadings: 64,
};
const HORIZONS = [1, 4];
const HOUR = 3_600_000;

/** Three hourly streams with daily cycles of different size and noise, levels far from 0. */
function table(rows: number, seed = 3): { streams: string[]; ts: Float64Array; values: Float64Array } {
  const rng = new Rng(seed);
  const streams = ['a', 'b', 'c'];
  const ts = new Float64Array(rows);
  const values = new Float64Array(rows * streams.length);
  for (let r = 0; r < rows; r++) {
    ts[r] = Date.UTC(2025, 0, 1) + r * HOUR;
    streams.forEach((_, c) => {
      values[r * streams.length + c] = 50 * (c + 1) + (c + 2) * Math.sin((2 * Math.PI * r) / 24 + c) + 0.3 * rng.normal();
    });
  }
  return { streams, ts, values };
}

describe('cutWindows', () => {
  it('cuts windows by stride and masks burn-in steps and targets not yet known', () => {
    const steps = 10;
    const horizons = [1, 2];
    const data: TrainingData = {
      series: 1,
      steps,
      x: Float32Array.from({ length: steps * 2 }, (_, i) => i),
      y: Float32Array.from({ length: steps * 2 }, (_, i) => 100 + i),
      mask: new Float32Array(steps * 2).fill(1),
    };
    const cut = cutWindows(data, { from: 2, to: 10, length: 4, stride: 3, burnIn: 1, targetEnd: 8, horizons });
    // Starts 2 and 5 fit in [2, 10); 8 would run past the end.
    expect(cut.series).toBe(2);
    expect(cut.steps).toBe(4);
    const starts = [2, 5];
    starts.forEach((start, w) => {
      for (let t = 0; t < 4; t++) {
        expect(cut.x[(w * 4 + t) * 2]).toBe((start + t) * 2);
        for (let q = 0; q < 2; q++) {
          expect(cut.y[(w * 4 + t) * 2 + q]).toBe(100 + (start + t) * 2 + q);
          const known = t >= 1 && start + t + horizons[q] < 8;
          expect(cut.mask[(w * 4 + t) * 2 + q], `window ${start} step ${t} horizon ${horizons[q]}`).toBe(known ? 1 : 0);
        }
      }
    });
  });
});

describe('parseHorizons', () => {
  it('takes a comma-separated list and refuses what is not a whole number of rows', () => {
    expect(parseHorizons('48,1,24,24')).toEqual([1, 24, 48]);
    for (const bad of ['', '0', '1,x', '2.5', '-1', '100000']) expect(() => parseHorizons(bad), bad).toThrow(/--horizon/);
  });
});

describe('runOnlineEval', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('scores persistence as the protocol defines it, learns the daily cycle, and never learns from the future', async () => {
    const base = table(SPLIT.testEnd);
    // The same rows, except that everything from row 700 on is wildly different.
    const cutRow = 700;
    const altered = { ...base, values: base.values.map((v, i) => (Math.floor(i / 3) >= cutRow ? v * 3 + 40 * Math.cos(i) : v)) };
    const run = async (t: CsvTable) => {
      const forecasts = new Map<string, number[]>();
      const tensors = tf.memory().numTensors;
      const result = await runOnlineEval(t, {
        horizons: HORIZONS,
        split: SPLIT,
        settings: SETTINGS,
        onForecast: (origin, stream, ahead) => forecasts.set(`${origin}/${stream}`, HORIZONS.map((h) => ahead(h))),
      });
      expect(tf.memory().numTensors).toBe(tensors);
      return { result, forecasts };
    };
    const a = await run(base);
    const b = await run(altered);

    // Persistence, computed here from the protocol's words: z-score each column on the
    // training rows, windows of H values after each origin, errors averaged over them.
    const n = 3;
    const z = [0, 1, 2].map((c) => {
      const col = Array.from({ length: SPLIT.testEnd }, (_, r) => base.values[r * n + c]);
      const train = col.slice(0, SPLIT.trainEnd);
      const mean = train.reduce((s, v) => s + v, 0) / train.length;
      const sd = Math.sqrt(train.reduce((s, v) => s + (v - mean) ** 2, 0) / train.length);
      return col.map((v) => (v - mean) / sd);
    });
    for (const H of HORIZONS) {
      let se = 0;
      let ae = 0;
      let count = 0;
      let windows = 0;
      for (let s = SPLIT.testStart; s + SPLIT.lookback + H <= SPLIT.testEnd; s++) {
        const origin = s + SPLIT.lookback;
        for (const col of z) {
          windows++;
          for (let h = 1; h <= H; h++) {
            const e = col[origin + h - 1] - col[origin - 1];
            se += e * e;
            ae += Math.abs(e);
            count++;
          }
        }
      }
      expect(a.result.persistence[H].mse).toBeCloseTo(se / count, 10);
      expect(a.result.persistence[H].mae).toBeCloseTo(ae / count, 10);
      expect(a.result.persistence[H].windows).toBe(windows);
      expect(a.result.model[H].windows).toBe(windows);
    }
    // A daily cycle is easy: four hours ahead, the model must beat repeating the last value.
    expect(a.result.model[4].mse).toBeLessThan(a.result.persistence[4].mse);
    expect(a.result.updates).toBe(Math.floor((SPLIT.testEnd - SPLIT.testStart - SPLIT.lookback) / SETTINGS.updateEvery));

    // Leak-free: a forecast made at origin t has seen rows before t only, learning included.
    let same = 0;
    let differ = 0;
    for (const [key, fa] of a.forecasts) {
      const origin = Number(key.split('/')[0]);
      const fb = b.forecasts.get(key)!;
      if (origin <= cutRow) {
        expect(fb, key).toEqual(fa);
        same++;
      } else if (fb.some((v, i) => v !== fa[i])) {
        differ++;
      }
    }
    expect(same).toBeGreaterThan(0);
    // ... and the altered rows do change what comes after them, so the comparison above can fail.
    expect(differ).toBeGreaterThan(0);
  });
});
