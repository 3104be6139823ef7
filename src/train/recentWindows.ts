import { TrainingDataError } from '../errors.ts';
import type { Db } from '../store/openDatabase.ts';
import { StreamHistories } from '../store/streamReadings.ts';
import type { Series } from './synthetic.ts';
import { buildTrainingData, type TrainingData } from './trainingData.ts';

export interface RecentWindowOptions {
  /** Most streams sampled (the most recently active first). */
  readonly streams: number;
  /** Readings per stream window (the latest ones). */
  readonly length: number;
  /** The last `holdOut` readings of each window are the validation slice, never trained on. */
  readonly holdOut: number;
  readonly horizons: readonly number[];
}

export interface RecentWindows {
  readonly train: TrainingData;
  /** Whole windows, with the loss counted only on the held-back recent slice (the state is warmed on the rest). */
  readonly valid: TrainingData;
  readonly streams: number;
  /** Time range of the readings used (epoch ms). */
  readonly from: number;
  readonly to: number;
}

/**
 * Samples windows of recent readings from the SQLite file across streams: the
 * latest `length` readings of each of the most recently active streams. Training
 * sees each window less its last `holdOut` readings; validation scores only those,
 * so the candidate is judged on data newer than anything it learned from.
 * @throws TrainingDataError when no stream has a full window.
 */
export function recentWindows(db: Db, opts: RecentWindowOptions): RecentWindows {
  const candidates = db
    .prepare<[number], { id: number }>('SELECT id FROM streams ORDER BY last_seen DESC LIMIT ?')
    .all(opts.streams * 4);
  const latest = new StreamHistories(db).latest(opts.length, candidates.map((c) => c.id));
  const windows: Series[] = [];
  for (const { id } of candidates) {
    if (windows.length === opts.streams) break;
    const rows = latest(id);
    if (rows.length < opts.length) continue;
    windows.push({ ts: Float64Array.from(rows, (r) => r.ts), values: Float64Array.from(rows, (r) => r.value) });
  }
  if (windows.length === 0) {
    throw new TrainingDataError(`no stream has ${opts.length} readings yet; retraining needs at least one full window`);
  }
  const trainSteps = opts.length - opts.holdOut;
  const train = buildTrainingData(
    windows.map((w) => ({ ts: w.ts.subarray(0, trainSteps), values: w.values.subarray(0, trainSteps) })),
    trainSteps,
    opts.horizons,
  );
  const valid = buildTrainingData(windows, opts.length, opts.horizons);
  const k = opts.horizons.length;
  // Score validation only on the held-back slice.
  for (let s = 0; s < valid.series; s++) valid.mask.fill(0, s * opts.length * k, (s * opts.length + trainSteps) * k);
  let from = Infinity;
  let to = -Infinity;
  for (const w of windows) {
    from = Math.min(from, w.ts[0]);
    to = Math.max(to, w.ts[w.ts.length - 1]);
  }
  return { train, valid, streams: windows.length, from, to };
}
