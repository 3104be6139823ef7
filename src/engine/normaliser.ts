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
 *
 * σ also never drops below LONG_FLOOR of a slow σ (memory of about 500
 * readings, deviations clipped only at LONG_CLIP times the slow σ). Without it,
 * a stream that sits flat for a while (an intermittent or quantized sensor) has
 * its σ collapse to the floor, and its next move reads as millions of σ: on ETTm2's LULL column
 * 3.6 % of readings were beyond the features' ±10 σ clip, and the model could not
 * tell how large they were. A steadily noisy stream's σ is far above the floor.
 */
export const ALPHA_MIN = 0.02;
export const CLIP = 3;
export const WARMUP = 10;
/** σ never drops below this fraction of |mean| (plus a tiny absolute floor), so flat lines stay finite. */
export const REL_FLOOR = 1e-4;
export const ABS_FLOOR = 1e-8;
/**
 * The slow variance: memory of about 1/LONG_ALPHA readings, deviations clipped
 * at LONG_CLIP times its own σ, and the share of its σ that σ never drops below.
 */
export const LONG_ALPHA = 0.002;
export const LONG_CLIP = 10;
export const LONG_FLOOR = 0.1;

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
  const longVar = stats[o + Stat.LONG_VAR];
  let e = x - mean;
  let eLong = e;
  if (n >= WARMUP) {
    const scale = scaleOf(mean, variance, longVar);
    const lim = CLIP * scale;
    if (e > lim) e = lim;
    else if (e < -lim) e = -lim;
    // Clipped against the slow σ itself, so the moves of a stream that is often flat still count in it.
    const limLong = LONG_CLIP * Math.max(Math.sqrt(longVar), scale);
    if (eLong > limLong) eLong = limLong;
    else if (eLong < -limLong) eLong = -limLong;
  }
  const aLong = Math.max(1 / (n + 1), LONG_ALPHA);
  stats[o + Stat.LONG_VAR] = (1 - aLong) * (longVar + aLong * eLong * eLong);
  const alpha = Math.max(1 / (n + 1), ALPHA_MIN);
  stats[o + Stat.MEAN] = mean + alpha * e;
  stats[o + Stat.VAR] = (1 - alpha) * (variance + alpha * e * e);
  stats[o + Stat.COUNT] = n + 1;
}

/** σ of the row at `o`, floored. */
export function momentScale(stats: Float64Array, o: number): number {
  return scaleOf(stats[o + Stat.MEAN], stats[o + Stat.VAR], stats[o + Stat.LONG_VAR]);
}

function scaleOf(mean: number, variance: number, longVar: number): number {
  return Math.max(Math.sqrt(variance), LONG_FLOOR * Math.sqrt(longVar), REL_FLOOR * Math.abs(mean) + ABS_FLOOR);
}
