import { buildEngine } from '../engine/buildEngine.ts';
import type { Engine } from '../engine/engine.ts';
import { FEATURE_COUNT } from '../engine/features.ts';
import { rewarm } from '../engine/rewarm.ts';
import { InputFileError } from '../errors.ts';
import type { CsvTable } from '../ingest/csvReplay.ts';
import { shouldPromote } from '../jobs/retrain.ts';
import { type GruWeights, initWeights } from '../model/gruWeights.ts';
import type { Model } from '../model/modelFile.ts';
import { FEATURE_SET, type ModelSpec } from '../model/modelSpec.ts';
import { evaluateWeights, type TrainProgress, trainGru } from './gruTrainer.ts';
import type { Series } from './synthetic.ts';
import { buildTrainingData, type TrainingData } from './trainingData.ts';
import { cutWindows } from './trainingWindows.ts';

/** Row borders of the protocol (see ../shared/data/README.md): train, validation, test, and the look-back before a test window. */
export interface OnlineSplit {
  readonly trainEnd: number;
  readonly validStart: number;
  readonly validEnd: number;
  readonly testStart: number;
  readonly testEnd: number;
  readonly lookback: number;
}

/** The borders of the published online-forecasting papers, in rows (also used on the 15-minute files). */
export const ETT_SPLIT: OnlineSplit = { trainEnd: 2880, validStart: 2820, validEnd: 3600, testStart: 3540, testEnd: 14400, lookback: 60 };

/** How the model is warmed up and then keeps learning; one setting for every dataset. */
export interface OnlineSettings {
  readonly hidden: number;
  readonly seed: number;
  /** Training windows: steps each, steps apart, leading steps without loss. */
  readonly window: number;
  readonly stride: number;
  readonly burnIn: number;
  readonly warmupEpochs: number;
  readonly patience: number;
  readonly learningRate: number;
  readonly batchSize: number;
  /** Online learning: every `updateEvery` rows, fine-tune on the latest `updateRows` (the newest `holdOut` judge the candidate). */
  readonly updateEvery: number;
  readonly updateRows: number;
  readonly holdOut: number;
  readonly updateEpochs: number;
  readonly updateLearningRate: number;
  /** Promotion margin in nats, and readings replayed per stream when a new model goes live. */
  readonly margin: number;
  readonly rewarmReadings: number;
  /** Weight of the squared error beside the NLL in the loss (the protocol scores MSE). */
  readonly squaredErrorWeight: number;
}

export const ONLINE_DEFAULTS: OnlineSettings = {
  hidden: 64,
  seed: 1,
  window: 192,
  stride: 24,
  burnIn: 48,
  warmupEpochs: 30,
  patience: 5,
  learningRate: 3e-3,
  batchSize: 64,
  updateEvery: 240,
  updateRows: 960,
  holdOut: 96,
  updateEpochs: 3,
  updateLearningRate: 5e-4,
  margin: 0,
  rewarmReadings: 256,
  squaredErrorWeight: 1,
};

export type OnlinePhase = 'warm-up' | 'test';

export interface OnlineProgress {
  readonly phase: OnlinePhase;
  readonly done: number;
  readonly total: number;
  /** Set on warm-up epochs. */
  readonly epoch?: TrainProgress;
}

export interface HorizonFigures {
  readonly mse: number;
  readonly mae: number;
  readonly windows: number;
}

export interface OnlineResult {
  readonly streams: number;
  readonly rows: number;
  readonly model: Record<number, HorizonFigures>;
  readonly persistence: Record<number, HorizonFigures>;
  readonly warmupValidNll: number;
  readonly updates: number;
  readonly promotions: number;
  readonly seconds: number;
}

export interface OnlineEvalOptions {
  readonly horizons: readonly number[];
  readonly split?: OnlineSplit;
  readonly settings?: OnlineSettings;
  readonly onProgress?: (p: OnlineProgress) => void;
  /** Each forecast as it is made: origin row `t` (the first row not yet seen), stream index, value h rows ahead. */
  readonly onForecast?: (t: number, stream: number, ahead: (h: number) => number) => void;
}

/**
 * The online (test-then-train) protocol on a multi-column table, each column a
 * stream: z-score every column with its training part's mean and deviation;
 * train a GRU whose head forecasts every step up to the longest horizon on the
 * training part (early stopping on the validation part); then walk the test
 * part one row at a time through the serving engine: forecast the next H values
 * from the history so far, record the error beside "repeat the last value", and
 * only then learn. Learning is leak-free: a fine-tune at row t sees targets
 * before t only, and its candidate goes live (streams re-warmed) only when it
 * beats the live weights on the newest rows, as in the service.
 * Call after selecting a backend.
 * @throws InputFileError when the table is too short for the split or has empty cells.
 */
export async function runOnlineEval(table: CsvTable, opts: OnlineEvalOptions): Promise<OnlineResult> {
  const { horizons, split = ETT_SPLIT, settings = ONLINE_DEFAULTS, onProgress = () => {}, onForecast } = opts;
  const started = performance.now();
  const rows = table.ts.length;
  const streams = table.streams.length;
  if (rows < split.testEnd) throw new InputFileError(`the table has ${rows} rows; the split needs ${split.testEnd}`);
  const z = zScore(table, split.trainEnd);
  const maxH = Math.max(...horizons);
  const steps = Array.from({ length: maxH }, (_, i) => i + 1);
  const spec: ModelSpec = { inputSize: FEATURE_COUNT, hidden: settings.hidden, horizons: steps, featureSet: FEATURE_SET };
  // Features and targets of every row once: features are causal (row r's depend on rows ≤ r only), and
  // each cut below masks the targets that had not arrived by its `targetEnd`, so no cut learns the future.
  const series: Series[] = z.map((values) => ({ ts: table.ts.subarray(0, split.testEnd), values: values.subarray(0, split.testEnd) }));
  const frames = buildTrainingData(series, split.testEnd, steps);

  // Warm-up: offline on the training rows, early stopping on the validation rows.
  const cut = (from: number, to: number, targetEnd: number, stride = settings.stride): TrainingData =>
    cutWindows(frames, { from, to, length: settings.window, stride, burnIn: settings.burnIn, targetEnd, horizons: steps });
  const warm = await trainGru({
    spec,
    init: persistenceStart(spec, settings.seed),
    trainData: () => cut(0, split.trainEnd, split.trainEnd),
    validData: cut(split.validStart - settings.burnIn, split.validEnd, split.validEnd, settings.window),
    epochs: settings.warmupEpochs,
    chunk: 64,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    patience: settings.patience,
    squaredErrorWeight: settings.squaredErrorWeight,
    onProgress: (epoch) => onProgress({ phase: 'warm-up', done: epoch.epoch, total: epoch.epochs, epoch }),
  });

  let live: GruWeights = warm.weights;
  const model: Model = { spec, weights: live, meta: { version: 1, createdAt: new Date().toISOString(), source: 'eval online warm-up' } };
  const engine = buildEngine(model, { maxKeyLength: 256, initialCapacity: streams });
  const scoring = new Scoring(horizons);
  let updates = 0;
  let promotions = 0;
  try {
    const first = split.testStart + split.lookback;
    // The history before the first forecast: the state the stream would have when the test starts.
    for (let r = 0; r < first - 1; r++) stepRow(engine, table, z, r);
    const total = split.testEnd - first;
    for (let t = first; t < split.testEnd; t++) {
      const out = stepRow(engine, table, z, t - 1);
      for (let row = 0; row < out.count; row++) {
        const c = out.readingIndex[row];
        const ahead = (h: number) => out.mean[row * maxH + h - 1];
        scoring.add(z[c], t, split.testEnd, ahead);
        onForecast?.(t, c, ahead);
      }
      if ((t - first + 1) % settings.updateEvery === 0) {
        // Learn from what has arrived: rows before t (their targets too).
        updates++;
        const candidate = await fineTune(spec, live, frames, t, steps, settings);
        if (candidate !== null) {
          live = candidate;
          promotions++;
          engine.setModel(live, engine.modelVersion + 1);
          const from = Math.max(0, t - settings.rewarmReadings);
          rewarm(engine, table.streams, (key) => historyOf(table, z, table.streams.indexOf(key), from, t));
        }
      }
      onProgress({ phase: 'test', done: t - first + 1, total });
    }
  } finally {
    engine.dispose();
  }
  return {
    streams,
    rows: split.testEnd - split.testStart,
    model: scoring.figures('model'),
    persistence: scoring.figures('persistence'),
    warmupValidNll: warm.validLoss,
    updates,
    promotions,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Fine-tunes `live` on rows before `t` (windows of `frames` ending before it, targets from `t` on
 * masked); returns the candidate if it beats `live` on the newest rows, else null.
 */
async function fineTune(
  spec: ModelSpec,
  live: GruWeights,
  frames: TrainingData,
  t: number,
  steps: readonly number[],
  s: OnlineSettings,
): Promise<GruWeights | null> {
  const judgeFrom = t - s.holdOut;
  const train = cutWindows(frames, { from: t - s.updateRows, to: judgeFrom, length: s.window, stride: s.stride, burnIn: s.burnIn, targetEnd: judgeFrom, horizons: steps });
  const valid = cutWindows(frames, { from: judgeFrom - s.burnIn, to: t, length: s.holdOut + s.burnIn, stride: s.holdOut, burnIn: s.burnIn, targetEnd: t, horizons: steps });
  const result = await trainGru({
    spec,
    init: live,
    trainData: () => train,
    validData: valid,
    epochs: s.updateEpochs,
    chunk: 64,
    batchSize: s.batchSize,
    learningRate: s.updateLearningRate,
    patience: s.updateEpochs,
    squaredErrorWeight: s.squaredErrorWeight,
  });
  const liveNll = evaluateWeights(spec, live, valid, 64, 256, s.squaredErrorWeight);
  return shouldPromote(liveNll, result.validLoss, s.margin) ? result.weights : null;
}

/**
 * Fresh weights whose mean forecasts start as "repeat the last value": the
 * head's direct path from the reading's z feature to every mean is 1, so
 * training begins at the persistence baseline and learns the difference.
 */
export function persistenceStart(spec: ModelSpec, seed: number): GruWeights {
  const w = initWeights(spec, seed);
  const k = spec.horizons.length;
  for (let q = 0; q < k; q++) w.wox[q] += 1;
  return w;
}

function stepRow(engine: Engine, table: CsvTable, z: readonly Float64Array[], r: number) {
  const tick = table.streams.map((stream, c) => ({ stream, ts: table.ts[r], value: z[c][r] }));
  return engine.step(tick);
}

function historyOf(table: CsvTable, z: readonly Float64Array[], c: number, from: number, to: number) {
  const out: { ts: number; value: number }[] = [];
  for (let r = from; r < to; r++) out.push({ ts: table.ts[r], value: z[c][r] });
  return out;
}

/** Each column z-scored with the mean and (population) deviation of its first `trainEnd` rows. */
function zScore(table: CsvTable, trainEnd: number): Float64Array[] {
  const n = table.streams.length;
  const rows = table.ts.length;
  return table.streams.map((name, c) => {
    let sum = 0;
    let sq = 0;
    for (let r = 0; r < trainEnd; r++) {
      const v = table.values[r * n + c];
      sum += v;
      sq += v * v;
    }
    const mean = sum / trainEnd;
    const sd = Math.sqrt(Math.max(sq / trainEnd - mean * mean, 0)) || 1;
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const v = table.values[r * n + c];
      if (!Number.isFinite(v)) throw new InputFileError(`column ${name}, row ${r + 2}: empty or not a number; the online protocol needs every cell`);
      out[r] = (v - mean) / sd;
    }
    return out;
  });
}

/**
 * Errors per horizon H, each window being the H values after a forecast origin
 * averaged over its steps (then over windows and streams), for the model and
 * for "repeat the last value".
 */
class Scoring {
  private readonly acc = new Map<string, { se: number; ae: number; n: number; windows: number }>();

  constructor(private readonly horizons: readonly number[]) {
    for (const who of ['model', 'persistence']) for (const h of horizons) this.acc.set(`${who}:${h}`, { se: 0, ae: 0, n: 0, windows: 0 });
  }

  /** Forecast origin `t` (the first unseen row) of one stream, `forecast(h)` its value h rows ahead. */
  add(values: Float64Array, t: number, end: number, forecast: (h: number) => number): void {
    const last = values[t - 1];
    for (const H of this.horizons) {
      if (t + H > end) continue;
      const m = this.acc.get(`model:${H}`)!;
      const p = this.acc.get(`persistence:${H}`)!;
      for (let h = 1; h <= H; h++) {
        const actual = values[t + h - 1];
        const e = actual - forecast(h);
        const q = actual - last;
        m.se += e * e;
        m.ae += Math.abs(e);
        p.se += q * q;
        p.ae += Math.abs(q);
      }
      m.n += H;
      p.n += H;
      m.windows++;
      p.windows++;
    }
  }

  figures(who: 'model' | 'persistence'): Record<number, HorizonFigures> {
    return Object.fromEntries(
      this.horizons.map((h) => {
        const a = this.acc.get(`${who}:${h}`)!;
        return [h, { mse: a.se / Math.max(1, a.n), mae: a.ae / Math.max(1, a.n), windows: a.windows }];
      }),
    );
  }
}
