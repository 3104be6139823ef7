import type { TrainingData } from './trainingData.ts';

export interface WindowCut {
  /** First and one-past-last step the windows may cover. */
  readonly from: number;
  readonly to: number;
  /** Steps per window, and steps between window starts. */
  readonly length: number;
  readonly stride: number;
  /** Leading steps of each window that only warm the state (no loss): the trainer starts each window from h = 0. */
  readonly burnIn: number;
  /** Targets at or after this step are masked out (what was not yet known). */
  readonly targetEnd: number;
  /** The horizon of each target column, in steps. */
  readonly horizons: readonly number[];
}

/**
 * Cuts overlapping windows out of every series of `data` (features computed
 * over the whole history, so each window's moments are warm), as a new
 * TrainingData of windows × length steps. A window's loss counts only its steps
 * after the burn-in and only targets before `targetEnd`, so a cut never teaches
 * a value that had not arrived by then.
 */
export function cutWindows(data: TrainingData, cut: WindowCut): TrainingData {
  const d = data.x.length / (data.series * data.steps);
  const k = cut.horizons.length;
  const from = Math.max(0, cut.from);
  const to = Math.min(data.steps, cut.to);
  const starts: number[] = [];
  for (let s = from; s + cut.length <= to; s += cut.stride) starts.push(s);
  if (starts.length === 0 && to - from > cut.burnIn) starts.push(from);
  const len = Math.min(cut.length, to - from);
  const count = starts.length * data.series;
  const x = new Float32Array(count * len * d);
  const y = new Float32Array(count * len * k);
  const mask = new Float32Array(count * len * k);
  let w = 0;
  for (let si = 0; si < data.series; si++) {
    for (const start of starts) {
      const src = si * data.steps + start;
      x.set(data.x.subarray(src * d, (src + len) * d), w * len * d);
      y.set(data.y.subarray(src * k, (src + len) * k), w * len * k);
      for (let t = cut.burnIn; t < len; t++) {
        for (let q = 0; q < k; q++) {
          if (start + t + cut.horizons[q] >= cut.targetEnd) continue;
          mask[(w * len + t) * k + q] = data.mask[(src + t) * k + q];
        }
      }
      w++;
    }
  }
  return { series: count, steps: len, x, y, mask };
}
