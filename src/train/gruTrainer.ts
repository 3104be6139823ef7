import * as tf from '@tensorflow/tfjs';
import { type GruWeights, WEIGHT_NAMES, type WeightName, weightShapes } from '../model/gruWeights.ts';
import { MIN_SCALE } from '../model/head.ts';
import type { ModelSpec } from '../model/modelSpec.ts';
import { plainMatMul } from './plainMatMul.ts';
import type { TrainingData } from './trainingData.ts';

export interface TrainProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly validLoss: number;
  readonly best: boolean;
}

export interface TrainOptions {
  readonly spec: ModelSpec;
  readonly init: GruWeights;
  /** Data for an epoch; called once per epoch so each may see fresh series. */
  readonly trainData: (epoch: number) => TrainingData;
  readonly validData: TrainingData;
  readonly epochs: number;
  /** Steps per truncated-BPTT chunk; the hidden state carries across chunks without gradient. */
  readonly chunk: number;
  /** Series per optimiser batch. */
  readonly batchSize: number;
  readonly learningRate: number;
  /** Epochs without a better validation loss before stopping. */
  readonly patience: number;
  readonly clipNorm?: number;
  /** Adds this times the masked squared error of the means (normalised units) to the NLL; 0 (the default) is NLL alone. */
  readonly squaredErrorWeight?: number;
  readonly onProgress?: (p: TrainProgress) => void;
}

export interface TrainResult {
  readonly weights: GruWeights;
  readonly validLoss: number;
  readonly epochsRun: number;
}

type Vars = Record<WeightName, tf.Variable>;

/**
 * Trains the GRU and head with truncated backpropagation through time on the
 * Gaussian negative log-likelihood of every horizon, keeping the weights of
 * the epoch with the lowest validation loss (early stopping).
 */
export async function trainGru(opts: TrainOptions): Promise<TrainResult> {
  const shapes = weightShapes(opts.spec);
  const vars = makeVars(opts.init, shapes, true);
  const optimizer = tf.train.adam(opts.learningRate);
  let best = { loss: Infinity, weights: readWeights(vars) };
  let sinceBest = 0;
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= opts.epochs; epoch++) {
      const data = opts.trainData(epoch);
      const trainLoss = runEpoch(vars, opts, data, optimizer);
      const validLoss = evaluate(vars, opts, opts.validData);
      const improved = validLoss < best.loss;
      if (improved) {
        best = { loss: validLoss, weights: readWeights(vars) };
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      opts.onProgress?.({ epoch, epochs: opts.epochs, trainLoss, validLoss, best: improved });
      // Let timers and I/O run between epochs.
      await new Promise((resolve) => setImmediate(resolve));
      if (sinceBest >= opts.patience) break;
    }
  } finally {
    optimizer.dispose();
    for (const v of Object.values(vars)) v.dispose();
  }
  return { weights: best.weights, validLoss: best.loss, epochsRun: Math.min(epoch, opts.epochs) };
}

/** Mean validation NLL of `weights` over `data` (no training). */
export function evaluateWeights(spec: ModelSpec, weights: GruWeights, data: TrainingData, chunk = 64, batchSize = 256, squaredErrorWeight = 0): number {
  const vars = makeVars(weights, weightShapes(spec), false);
  try {
    return evaluate(vars, { spec, chunk, batchSize, squaredErrorWeight }, data);
  } finally {
    for (const v of Object.values(vars)) v.dispose();
  }
}

function runEpoch(vars: Vars, opts: TrainOptions, data: TrainingData, optimizer: tf.Optimizer): number {
  let total = 0;
  let batches = 0;
  forEachChunk(data, opts, (batch, hPrev) => {
    let hLast: tf.Tensor2D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const r = chunkLoss(vars, opts.spec, batch, hPrev, opts.squaredErrorWeight ?? 0);
      hLast = tf.keep(r.hLast);
      return r.loss;
    });
    tf.tidy(() => optimizer.applyGradients(clipByGlobalNorm(grads, opts.clipNorm ?? 1)));
    total += value.dataSync()[0];
    batches++;
    value.dispose();
    tf.dispose(grads);
    if (hLast === null) throw new Error('chunk produced no final state');
    return hLast;
  });
  return total / Math.max(1, batches);
}

function evaluate(vars: Vars, opts: Pick<TrainOptions, 'spec' | 'chunk' | 'batchSize' | 'squaredErrorWeight'>, data: TrainingData): number {
  let weighted = 0;
  let count = 0;
  forEachChunk(data, opts, (batch, h) => {
    const { loss, hLast } = chunkLoss(vars, opts.spec, batch, h, opts.squaredErrorWeight ?? 0);
    let m = 0;
    for (const v of batch.mask.dataSync<'float32'>()) m += v;
    weighted += loss.dataSync()[0] * m;
    count += m;
    loss.dispose();
    return hLast;
  });
  return weighted / Math.max(1, count);
}

/**
 * Walks the data in batches of series and, within each, in consecutive chunks
 * of steps, carrying the hidden state from chunk to chunk (truncated BPTT).
 * `fn` returns the state after its chunk; batches and spent states are freed here.
 */
function forEachChunk(
  data: TrainingData,
  opts: Pick<TrainOptions, 'spec' | 'chunk' | 'batchSize'>,
  fn: (batch: Batch, h: tf.Tensor2D) => tf.Tensor2D,
): void {
  for (let first = 0; first < data.series; first += opts.batchSize) {
    const count = Math.min(opts.batchSize, data.series - first);
    let h: tf.Tensor2D = tf.zeros([count, opts.spec.hidden]);
    for (let t0 = 0; t0 < data.steps; t0 += opts.chunk) {
      const batch = sliceBatch(data, opts.spec, first, count, t0, Math.min(opts.chunk, data.steps - t0));
      const next = fn(batch, h);
      tf.dispose([...batch.xs, batch.xAll, batch.y, batch.mask, h]);
      h = next;
    }
    h.dispose();
  }
}

/**
 * One chunk of a batch, time-major: `xs[t]` is step t's inputs (count × D);
 * `xAll`, `y` and `mask` hold every step's rows, step after step (row t·count + s),
 * so the per-step states concatenate onto them with no strided copy.
 */
interface Batch {
  xs: tf.Tensor2D[];
  xAll: tf.Tensor2D;
  y: tf.Tensor2D;
  mask: tf.Tensor2D;
}

function sliceBatch(data: TrainingData, spec: ModelSpec, first: number, count: number, t0: number, len: number): Batch {
  const d = spec.inputSize;
  const k = spec.horizons.length;
  const x = new Float32Array(len * count * d);
  const y = new Float32Array(len * count * k);
  const m = new Float32Array(len * count * k);
  for (let t = 0; t < len; t++) {
    for (let s = 0; s < count; s++) {
      const src = (first + s) * data.steps + t0 + t;
      const row = t * count + s;
      x.set(data.x.subarray(src * d, (src + 1) * d), row * d);
      y.set(data.y.subarray(src * k, (src + 1) * k), row * k);
      m.set(data.mask.subarray(src * k, (src + 1) * k), row * k);
    }
  }
  return {
    xs: Array.from({ length: len }, (_, t) => tf.tensor2d(x.subarray(t * count * d, (t + 1) * count * d), [count, d])),
    xAll: tf.tensor2d(x, [len * count, d]),
    y: tf.tensor2d(y, [len * count, k]),
    mask: tf.tensor2d(m, [len * count, k]),
  };
}

/**
 * The cell, written as the equations (it is differentiated, not served):
 * r, z = σ([x, h]W + b); h' = tanh([x, r⊙h]W_h + b_h); h = z⊙h + (1−z)⊙h'.
 * Returns the masked mean Gaussian NLL over the chunk and the last hidden state.
 */
function chunkLoss(vars: Vars, spec: ModelSpec, batch: Batch, h0: tf.Tensor2D, squaredErrorWeight: number): { loss: tf.Scalar; hLast: tf.Tensor2D } {
  return tf.tidy(() => {
    const len = batch.xs.length;
    const count = batch.xs[0].shape[0];
    const k = spec.horizons.length;
    let h = h0;
    const hs: tf.Tensor2D[] = [];
    for (let t = 0; t < len; t++) {
      const xt = batch.xs[t];
      const xh = tf.concat([xt, h], 1);
      const r = tf.sigmoid(tf.add(plainMatMul(xh, vars.wr), vars.br));
      const z = tf.sigmoid(tf.add(plainMatMul(xh, vars.wz), vars.bz));
      // tanh(u) = 2σ(2u) − 1: the same function, and wasm's sigmoid is far cheaper than its tanh.
      const u = tf.add(plainMatMul(tf.concat([xt, tf.mul(r, h)], 1), vars.wh), vars.bh);
      const cand = tf.sub(tf.mul(tf.sigmoid(tf.mul(u, 2)), 2), 1);
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand));
      hs.push(h);
    }
    const hAll = tf.concat(hs, 0);
    const out = tf.add(tf.add(plainMatMul(hAll, vars.woh), plainMatMul(batch.xAll, vars.wox)), vars.bo);
    const mean = tf.slice(out, [0, 0], [count * len, k]);
    const scale = tf.add(tf.softplus(tf.slice(out, [0, k], [count * len, k])), MIN_SCALE);
    const y = batch.y;
    const mask = batch.mask;
    let nll = tf.add(tf.log(scale), tf.mul(0.5, tf.square(tf.div(tf.sub(y, mean), scale))));
    if (squaredErrorWeight > 0) nll = tf.add(nll, tf.mul(squaredErrorWeight, tf.square(tf.sub(y, mean))));
    const loss = tf.div(tf.sum(tf.mul(nll, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
    return { loss, hLast: h };
  });
}

function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0];
  if (!(norm > maxNorm)) return grads;
  const f = maxNorm / norm;
  return Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, tf.mul(g, f)]));
}

function makeVars(w: GruWeights, shapes: Record<WeightName, readonly number[]>, trainable: boolean): Vars {
  // tf.variable keeps its own reference to the initial values; the tidy frees the temporaries.
  return tf.tidy(() => {
    const entries = WEIGHT_NAMES.map((name) => [name, tf.variable(tf.tensor(w[name], [...shapes[name]]), trainable)] as const);
    return Object.fromEntries(entries) as Vars;
  });
}

function readWeights(vars: Vars): GruWeights {
  const get = (name: WeightName) => Float32Array.from(vars[name].dataSync());
  return {
    wr: get('wr'), wz: get('wz'), wh: get('wh'),
    br: get('br'), bz: get('bz'), bh: get('bh'),
    woh: get('woh'), wox: get('wox'), bo: get('bo'),
  };
}
