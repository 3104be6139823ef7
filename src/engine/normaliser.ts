import { Stat } from './streamStats.ts';

/**
 * Online, drift-following, outlier-resistant mean and variance.
 *
 * The first `WARMUP` readings are averaged plainly (α = 1/n), so a new stream
 * settles in a few readings. After that α stays at `ALPHA_MIN` (a memory of about
 * 1/α readings, so the moments follow drift), and each deviation is clipped to
 * ±`CLIP`·σ before it is taken in, so one outlier moves the mean by at most
 * α·CLIP·σ. A level shift that persists still wins: every clipped update
 * also widens σ, so the clip grows until the mean has caught up.
 */
export const ALPHA_MIN = 0.02;
export const CLIP = 3;
export const WARMUP = 10;
/** σ never drops below this fraction of |mean| (plus a tiny absolute floor), so flat lines stay finite. */
export const REL_FLOOR = 1e-4;
export const ABS_FLOOR = 1e-8;

export function updateMoments(stats: Float64Array, o: number, x: number): void {
  const n = stats[o + Stat.COUNT];
  if (n === 0) {
    stats[o + Stat.MEAN] = x;
    stats[o + Stat.VAR] = 0;
    stats[o + Stat.COUNT] = 1;
    return;
  }
  const mean = stats[o + Stat.MEAN];
  const variance = stats[o + Stat.VAR];
  let e = x - mean;
  if (n >= WARMUP) {
    const lim = CLIP * scaleOf(mean, variance);
    if (e > lim) e = lim;
    else if (e < -lim) e = -lim;
  }
  const alpha = Math.max(1 / (n + 1), ALPHA_MIN);
  stats[o + Stat.MEAN] = mean + alpha * e;
  stats[o + Stat.VAR] = (1 - alpha) * (variance + alpha * e * e);
  stats[o + Stat.COUNT] = n + 1;
}

/** σ of the row at `o`, floored. */
export function momentScale(stats: Float64Array, o: number): number {
  return scaleOf(stats[o + Stat.MEAN], stats[o + Stat.VAR]);
}

function scaleOf(mean: number, variance: number): number {
  return Math.max(Math.sqrt(variance), REL_FLOOR * Math.abs(mean) + ABS_FLOOR);
}
