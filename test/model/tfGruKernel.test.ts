import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../src/model/modelSpec.ts';
import { TfGruKernel } from '../../src/model/tfGruKernel.ts';
import { useBestBackend } from '../support/backend.ts';
import { randomWeights, refGruStep, refHead } from '../support/referenceGru.ts';
import { stepInputs } from '../support/stepInputs.ts';

const D = 8;
const H = 16;
const spec: ModelSpec = { inputSize: D, hidden: H, horizons: [1, 4], featureSet: 'v1' };
const O = 4;

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647) * 4 - 2;
  };
}

// Float32 arithmetic against the float64 reference: 1e-5 absolute holds with
// room to spare for these sizes (inputs and weights of order 1, sums of ~24 terms).
const TOL = 1e-5;

describe('TfGruKernel', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('matches the float64 reference GRU and head on one step with random weights', () => {
    for (const seed of [1, 2, 3]) {
      const w = randomWeights(D, H, O, seed, 0.6);
      const kernel = new TfGruKernel(spec, w);
      const rand = seeded(seed + 10);
      const x = Array.from({ length: D }, rand);
      const h = Array.from({ length: H }, () => rand() / 2);
      const xh = Float32Array.from([...x, ...h]);
      const { h: hOut, y: yOut } = kernel.step(1, stepInputs(xh, D, H));
      const xf = Array.from(xh.subarray(0, D));
      const hf = Array.from(xh.subarray(D));
      const hRef = refGruStep(w, xf, hf);
      const yRef = refHead(w, xf, hRef, O);
      for (let j = 0; j < H; j++) expect(Math.abs(hOut[j] - hRef[j])).toBeLessThan(TOL);
      // The head reads the kernel's own float32 h_t; compare it from the reference h_t.
      for (let j = 0; j < O; j++) expect(Math.abs(yOut[j] - yRef[j])).toBeLessThan(TOL * 10);
      kernel.dispose();
    }
  });

  it('steps every row of a batch as if it were alone', () => {
    const w = randomWeights(D, H, O, 9);
    const kernel = new TfGruKernel(spec, w);
    const rand = seeded(99);
    const B = 37;
    const xh = Float32Array.from({ length: B * (D + H) }, rand);
    // A copy: the kernel's outputs are only the caller's until its next step.
    const hOut = kernel.step(B, stepInputs(xh, D, H)).h.slice();
    for (const b of [0, 17, 36]) {
      const { h: one } = kernel.step(1, stepInputs(xh.slice(b * (D + H), (b + 1) * (D + H)), D, H));
      for (let j = 0; j < H; j++) expect(hOut[b * H + j]).toBeCloseTo(one[j], 6);
      const ref = refGruStep(w, Array.from(xh.subarray(b * (D + H), b * (D + H) + D)), Array.from(xh.subarray(b * (D + H) + D, (b + 1) * (D + H))));
      for (let j = 0; j < H; j++) expect(Math.abs(hOut[b * H + j] - ref[j])).toBeLessThan(TOL);
    }
    kernel.dispose();
  });

  it('keeps the old state when the update gate saturates near 1', () => {
    const w = randomWeights(D, H, O, 5);
    w.bz.fill(40); // z = σ(large) ≈ 1: h_t must equal h_{t-1}
    const kernel = new TfGruKernel(spec, w);
    const xh = Float32Array.from({ length: D + H }, seeded(3));
    const { h: hOut } = kernel.step(1, stepInputs(xh, D, H));
    for (let j = 0; j < H; j++) expect(hOut[j]).toBeCloseTo(xh[D + j], 6);
    kernel.dispose();
  });

  it('leaves no tensor behind after steps, weight swaps and dispose', () => {
    const before = tf.memory().numTensors;
    const kernel = new TfGruKernel(spec, randomWeights(D, H, O, 1));
    const inputs = stepInputs(new Float32Array(10 * (D + H)), D, H);
    kernel.step(10, inputs);
    const afterFirst = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) kernel.step(10, inputs);
    kernel.setWeights(randomWeights(D, H, O, 2));
    expect(tf.memory().numTensors).toBe(afterFirst);
    kernel.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
