/**
 * How the head's raw outputs become a forecast distribution, in the stream's
 * normalised units: a mean per horizon, and scale = softplus(raw) + MIN_SCALE,
 * a Gaussian's σ. Training uses the same mapping (see train/gaussianNll.ts).
 */
export const MIN_SCALE = 0.01;

export function scaleFromRaw(raw: number): number {
  const sp = raw > 20 ? raw : raw < -20 ? Math.exp(raw) : Math.log1p(Math.exp(raw));
  return sp + MIN_SCALE;
}
