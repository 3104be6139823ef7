import type { StepInputs } from '../../src/model/stepKernel.ts';

/** A kernel's inputs for `batch` rows given as `[x_t, h_{t-1}]` rows (D + H values each). */
export function stepInputs(xh: Float32Array, d: number, h: number): StepInputs {
  const batch = xh.length / (d + h);
  const x = new Float32Array(batch * d);
  const hs = new Float32Array(batch * h);
  for (let b = 0; b < batch; b++) {
    x.set(xh.subarray(b * (d + h), b * (d + h) + d), b * d);
    hs.set(xh.subarray(b * (d + h) + d, (b + 1) * (d + h)), b * h);
  }
  return { xh, x, h: hs };
}
