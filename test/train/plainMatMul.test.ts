import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { plainMatMul } from '../../src/train/plainMatMul.ts';
import { useBestBackend } from '../support/backend.ts';

describe('plainMatMul', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('has the value and the gradients of a matrix product, computed here from their definition', () => {
    const a = tf.randomNormal([5, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([3, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const w = tf.randomNormal([5, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
    // f(a, b) = Σ w ⊙ (a·b): ∂f/∂a[i][k] = Σ_j w[i][j] b[k][j], ∂f/∂b[k][j] = Σ_i a[i][k] w[i][j].
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(w, plainMatMul(x, y))))([a, b]);
    const A = a.arraySync();
    const B = b.arraySync();
    const W = w.arraySync();
    const value = plainMatMul(a, b).arraySync();
    for (let i = 0; i < 5; i++) for (let j = 0; j < 4; j++) expect(value[i][j]).toBeCloseTo(A[i].reduce((s, v, k) => s + v * B[k][j], 0), 5);
    const GA = ga.arraySync() as number[][];
    const GB = gb.arraySync() as number[][];
    for (let i = 0; i < 5; i++) for (let k = 0; k < 3; k++) expect(GA[i][k]).toBeCloseTo(W[i].reduce((s, v, j) => s + v * B[k][j], 0), 5);
    for (let k = 0; k < 3; k++) for (let j = 0; j < 4; j++) expect(GB[k][j]).toBeCloseTo(A.reduce((s, row, i) => s + row[k] * W[i][j], 0), 5);
    tf.dispose([a, b, w, ga, gb]);
  });
});
