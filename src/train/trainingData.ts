import { FEATURE_COUNT, takeReading } from '../engine/features.ts';
import { momentScale } from '../engine/normaliser.ts';
import { initStats, Stat, STAT_COUNT } from '../engine/streamStats.ts';
import type { Series } from './synthetic.ts';

/** Targets beyond this many normalised units are clipped, so one spike cannot dominate a batch. */
export const TARGET_CLIP = 10;

/**
 * Training tensors for S series of T steps, built with the engine's own feature
 * code so training sees exactly what serving sees:
 *   x    S × T × D   the features of each step
 *   y    S × T × K   the value `horizons[k]` readings ahead, in the frame of step t's moments
 *   mask S × T × K   1 where that future value exists
 */
export interface TrainingData {
  readonly series: number;
  readonly steps: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly mask: Float32Array;
}

export function buildTrainingData(all: readonly Series[], steps: number, horizons: readonly number[]): TrainingData {
  const d = FEATURE_COUNT;
  const k = horizons.length;
  const s = all.length;
  const x = new Float32Array(s * steps * d);
  const y = new Float32Array(s * steps * k);
  const mask = new Float32Array(s * steps * k);
  const stats = new Float64Array(STAT_COUNT);
  all.forEach((series, si) => {
    initStats(stats, 0);
    const n = Math.min(steps, series.values.length);
    for (let t = 0; t < n; t++) {
      takeReading(stats, 0, series.ts[t], series.values[t], x, (si * steps + t) * d);
      const mu = stats[Stat.MEAN];
      const sd = momentScale(stats, 0);
      for (let q = 0; q < k; q++) {
        const ahead = t + horizons[q];
        if (ahead >= series.values.length) continue;
        const target = (series.values[ahead] - mu) / sd;
        y[(si * steps + t) * k + q] = Math.max(-TARGET_CLIP, Math.min(TARGET_CLIP, target));
        mask[(si * steps + t) * k + q] = 1;
      }
    }
  });
  return { series: s, steps, x, y, mask };
}
