import * as tf from '@tensorflow/tfjs';
import { ModelShapeError } from '../errors.ts';
import type { GruWeights } from './gruWeights.ts';
import { type ModelSpec, outputSize } from './modelSpec.ts';
import type { StepInputs, StepKernel, StepOutputs } from './stepKernel.ts';

interface DeviceWeights {
  wr: tf.Tensor2D;
  wz: tf.Tensor2D;
  br: tf.Tensor1D;
  bz: tf.Tensor1D;
  /** The candidate's weights and bias times two: tanh(u) = 2σ(2u) − 1 costs a sigmoid, far cheaper than tanh on wasm. */
  whx2: tf.Tensor2D;
  whh2: tf.Tensor2D;
  bh2: tf.Tensor1D;
  woh: tf.Tensor2D;
  wox: tf.Tensor2D;
  bo: tf.Tensor1D;
}

/**
 * The step on whatever tfjs backend is active. Weights stay on the backend;
 * each call uploads the batch, runs the cell and head in one `tf.tidy`, and
 * reads back h_t and the head. Leaves no tensor behind.
 */
export class TfGruKernel implements StepKernel {
  readonly spec: ModelSpec;
  private w: DeviceWeights;
  private readonly two: tf.Scalar;
  private readonly one: tf.Scalar;

  constructor(spec: ModelSpec, weights: GruWeights) {
    this.spec = spec;
    this.two = tf.scalar(2);
    this.one = tf.scalar(1);
    this.w = this.upload(weights);
  }

  setWeights(weights: GruWeights): void {
    const next = this.upload(weights);
    disposeWeights(this.w);
    this.w = next;
  }

  step(batch: number, inputs: StepInputs): StepOutputs {
    const d = this.spec.inputSize;
    const h = this.spec.hidden;
    if (batch === 0) return { h: new Float32Array(0), y: new Float32Array(0) };
    const { xh, x, h: hPrev } = inputs;
    if (xh.length < batch * (d + h) || x.length < batch * d || hPrev.length < batch * h) {
      throw new ModelShapeError(`step inputs too small for a batch of ${batch}`);
    }
    const w = this.w;
    const [hNew, y] = tf.tidy(() => {
      const xhT = tf.tensor2d(xh.subarray(0, batch * (d + h)), [batch, d + h]);
      const xT = tf.tensor2d(x.subarray(0, batch * d), [batch, d]);
      const hT = tf.tensor2d(hPrev.subarray(0, batch * h), [batch, h]);
      const r = tf.sigmoid(tf.fused.matMul({ a: xhT, b: w.wr, bias: w.br }));
      const z = tf.sigmoid(tf.fused.matMul({ a: xhT, b: w.wz, bias: w.bz }));
      const u2 = tf.add(tf.fused.matMul({ a: xT, b: w.whx2, bias: w.bh2 }), tf.matMul(tf.mul(r, hT), w.whh2));
      const cand = tf.sub(tf.mul(tf.sigmoid(u2), this.two), this.one);
      const hNext = tf.add(cand, tf.mul(z, tf.sub(hT, cand)));
      const out = tf.add(tf.fused.matMul({ a: hNext, b: w.woh, bias: w.bo }), tf.matMul(xT, w.wox));
      return [hNext, out];
    });
    try {
      // dataSync hands back a fresh host copy: read in place by the caller, no second copy.
      return { h: hNew.dataSync() as Float32Array, y: y.dataSync() as Float32Array };
    } finally {
      hNew.dispose();
      y.dispose();
    }
  }

  dispose(): void {
    disposeWeights(this.w);
    this.two.dispose();
    this.one.dispose();
  }

  private upload(wt: GruWeights): DeviceWeights {
    const d = this.spec.inputSize;
    const h = this.spec.hidden;
    const o = outputSize(this.spec);
    const whx2 = new Float32Array(d * h);
    const whh2 = new Float32Array(h * h);
    for (let i = 0; i < d * h; i++) whx2[i] = 2 * wt.wh[i];
    for (let i = 0; i < h * h; i++) whh2[i] = 2 * wt.wh[d * h + i];
    const bh2 = wt.bh.map((v) => 2 * v);
    // Made outside tf.tidy on purpose: these tensors live until setWeights or dispose.
    return {
      wr: tf.tensor2d(wt.wr, [d + h, h]),
      wz: tf.tensor2d(wt.wz, [d + h, h]),
      br: tf.tensor1d(wt.br),
      bz: tf.tensor1d(wt.bz),
      whx2: tf.tensor2d(whx2, [d, h]),
      whh2: tf.tensor2d(whh2, [h, h]),
      bh2: tf.tensor1d(bh2),
      woh: tf.tensor2d(wt.woh, [h, o]),
      wox: tf.tensor2d(wt.wox, [d, o]),
      bo: tf.tensor1d(wt.bo),
    };
  }
}

function disposeWeights(w: DeviceWeights): void {
  for (const t of Object.values(w)) t.dispose();
}
