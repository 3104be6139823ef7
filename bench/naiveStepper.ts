import * as tf from '@tensorflow/tfjs';
import { FEATURE_COUNT, takeReading } from '../src/engine/features.ts';
import { momentScale } from '../src/engine/normaliser.ts';
import { initStats, Stat, STAT_COUNT } from '../src/engine/streamStats.ts';
import type { GruWeights } from '../src/model/gruWeights.ts';
import { scaleFromRaw } from '../src/model/head.ts';
import type { ModelSpec } from '../src/model/modelSpec.ts';

interface NaiveState {
  h: Float32Array;
  stats: Float64Array;
}

/**
 * The naive way, for comparison: each reading stepped on its own, the cell
 * written straight from the equations with tfjs ops (concatenations, tanh,
 * separate bias adds), one tf.tidy and one read-back per reading. Weights stay
 * on the backend; features and forecasts use the engine's own host code, so
 * the difference measured is batching and the kernel, nothing else.
 */
export class NaiveStepper {
  private readonly states = new Map<string, NaiveState>();
  private readonly w: Record<keyof GruWeights, tf.Tensor>;
  private readonly x = new Float32Array(FEATURE_COUNT);

  constructor(private readonly spec: ModelSpec, weights: GruWeights) {
    const d = spec.inputSize;
    const h = spec.hidden;
    const o = 2 * spec.horizons.length;
    this.w = {
      wr: tf.tensor2d(weights.wr, [d + h, h]), wz: tf.tensor2d(weights.wz, [d + h, h]), wh: tf.tensor2d(weights.wh, [d + h, h]),
      br: tf.tensor1d(weights.br), bz: tf.tensor1d(weights.bz), bh: tf.tensor1d(weights.bh),
      woh: tf.tensor2d(weights.woh, [h, o]), wox: tf.tensor2d(weights.wox, [d, o]), bo: tf.tensor1d(weights.bo),
    };
  }

  /** Steps one reading; returns the one-step forecast mean (raw units). */
  step(stream: string, ts: number, value: number): number {
    let s = this.states.get(stream);
    if (s === undefined) {
      s = { h: new Float32Array(this.spec.hidden), stats: new Float64Array(STAT_COUNT) };
      initStats(s.stats, 0);
      this.states.set(stream, s);
    }
    takeReading(s.stats, 0, ts, value, this.x, 0);
    const w = this.w;
    const [hNew, y] = tf.tidy(() => {
      const x = tf.tensor2d(this.x, [1, FEATURE_COUNT]);
      const h = tf.tensor2d(s.h, [1, this.spec.hidden]);
      const xh = tf.concat([x, h], 1);
      const r = tf.sigmoid(tf.add(tf.matMul(xh, w.wr), w.br));
      const z = tf.sigmoid(tf.add(tf.matMul(xh, w.wz), w.bz));
      const cand = tf.tanh(tf.add(tf.matMul(tf.concat([x, tf.mul(r, h)], 1), w.wh), w.bh));
      const next = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand));
      return [next, tf.add(tf.add(tf.matMul(next, w.woh), tf.matMul(x, w.wox)), w.bo)];
    });
    s.h.set(hNew.dataSync());
    const out = y.dataSync();
    hNew.dispose();
    y.dispose();
    const sd = momentScale(s.stats, 0);
    const mean = s.stats[Stat.MEAN] + sd * out[0];
    s.stats[Stat.PRIOR_MEAN] = mean;
    s.stats[Stat.PRIOR_SCALE] = sd * scaleFromRaw(out[this.spec.horizons.length]);
    return mean;
  }

  dispose(): void {
    for (const t of Object.values(this.w)) t.dispose();
  }
}
