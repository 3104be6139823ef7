/**
 * An independent float64 GRU, written from the equations in DEVELOPERS.md
 * (Cho et al. 2014), not from src/. Weights are read in the documented
 * row-major layout: W[i * H + j] multiplies input i of [x, h] into unit j.
 *
 *   r  = σ(W_r [x, h] + b_r)
 *   z  = σ(W_z [x, h] + b_z)
 *   h' = tanh(W_h [x, r ⊙ h] + b_h)
 *   h  = z ⊙ h + (1 − z) ⊙ h'
 *   y  = W_oh h + W_ox x + b_o
 */
export interface RefWeights {
  wr: ArrayLike<number>;
  wz: ArrayLike<number>;
  wh: ArrayLike<number>;
  br: ArrayLike<number>;
  bz: ArrayLike<number>;
  bh: ArrayLike<number>;
  woh: ArrayLike<number>;
  wox: ArrayLike<number>;
  bo: ArrayLike<number>;
}

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));

function affine(w: ArrayLike<number>, b: ArrayLike<number>, input: readonly number[], units: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < units; j++) {
    let s = b[j];
    for (let i = 0; i < input.length; i++) s += input[i] * w[i * units + j];
    out.push(s);
  }
  return out;
}

export function refGruStep(w: RefWeights, x: readonly number[], h: readonly number[]): number[] {
  const units = h.length;
  const xh = [...x, ...h];
  const r = affine(w.wr, w.br, xh, units).map(sigma);
  const z = affine(w.wz, w.bz, xh, units).map(sigma);
  const xrh = [...x, ...h.map((v, j) => r[j] * v)];
  const cand = affine(w.wh, w.bh, xrh, units).map(Math.tanh);
  return h.map((v, j) => z[j] * v + (1 - z[j]) * cand[j]);
}

export function refHead(w: RefWeights, x: readonly number[], h: readonly number[], outputs: number): number[] {
  const fromH = affine(w.woh, w.bo, h, outputs);
  const zero = new Array<number>(outputs).fill(0);
  const fromX = affine(w.wox, zero, x, outputs);
  return fromH.map((v, j) => v + fromX[j]);
}

/** Random weights of a given scale, from a seeded generator independent of src/. */
export function randomWeights(d: number, h: number, outputs: number, seed: number, scale = 0.5): Record<keyof RefWeights, Float32Array> {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  };
  const arr = (n: number): Float32Array => Float32Array.from({ length: n }, () => rand() * scale);
  return {
    wr: arr((d + h) * h), wz: arr((d + h) * h), wh: arr((d + h) * h),
    br: arr(h), bz: arr(h), bh: arr(h),
    woh: arr(h * outputs), wox: arr(d * outputs), bo: arr(outputs),
  };
}
