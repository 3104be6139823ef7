import type { BackendName } from '../config.ts';
import type { Model } from '../model/modelFile.ts';
import type { TrainProgress } from '../train/gruTrainer.ts';
import type { RecentWindowOptions } from '../train/recentWindows.ts';
import { recentWindows } from '../train/recentWindows.ts';
import type { TrainSettings } from '../train/trainerProtocol.ts';
import { TrainerThread } from '../train/trainerThread.ts';
import type { Store } from '../store/store.ts';

export interface RetrainOptions {
  readonly windows: Omit<RecentWindowOptions, 'horizons'>;
  readonly settings: TrainSettings;
  /** A candidate is promoted only if its held-back NLL beats the live model's by this much (nats). */
  readonly margin: number;
}

export const RETRAIN_DEFAULTS: RetrainOptions = {
  windows: { streams: 256, length: 512, holdOut: 96 },
  settings: { epochs: 20, chunk: 64, batchSize: 64, learningRate: 1e-3, patience: 3 },
  margin: 0.01,
};

export interface RetrainOutcome {
  readonly version: number;
  readonly parent: number;
  readonly promoted: boolean;
  readonly liveNll: number;
  readonly candidateNll: number;
  readonly epochs: number;
  readonly streams: number;
  readonly dataFrom: number;
  readonly dataTo: number;
}

/** The promotion rule: the candidate must beat the live model on the held-back slice by `margin`. */
export function shouldPromote(liveNll: number, candidateNll: number, margin: number): boolean {
  return Number.isFinite(candidateNll) && candidateNll < liveNll - margin;
}

/**
 * Fine-tunes the live model on recent readings from the store, on a trainer
 * thread, and records the result as a checkpoint (parent, metrics, data range):
 * live when it beats the live model by the margin, else a candidate that is not
 * used. The live model keeps serving whatever happens to the trainer.
 * `signal` stops the trainer (the run then rejects with TrainingError).
 * @throws TrainingDataError (too little data), TrainingError (the trainer failed or was stopped), StoreError.
 */
export async function retrain(
  store: Store,
  live: Model,
  backend: BackendName,
  opts: RetrainOptions,
  onProgress: (p: TrainProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<RetrainOutcome> {
  const data = recentWindows(store.db, { ...opts.windows, horizons: live.spec.horizons });
  const trainer = await TrainerThread.start({ backend, spec: live.spec, init: live.weights, train: data.train, valid: data.valid, settings: opts.settings }, onProgress);
  const abort = () => void trainer.stop();
  if (signal?.aborted) abort();
  signal?.addEventListener('abort', abort);
  let result: Awaited<typeof trainer.result>;
  try {
    result = await trainer.result;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
  const promoted = shouldPromote(result.initialLoss, result.validLoss, opts.margin);
  const metrics = { liveNll: result.initialLoss, candidateNll: result.validLoss, epochs: result.epochsRun, streams: data.streams, margin: opts.margin };
  const version = store.checkpoints.save(
    { spec: live.spec, weights: result.weights, meta: { ...live.meta, createdAt: new Date().toISOString(), source: `retrained from version ${live.meta.version} on ${data.streams} streams`, ...metrics } },
    { status: promoted ? 'live' : 'candidate', parent: live.meta.version, dataFrom: data.from, dataTo: data.to, metrics },
  );
  return { version, parent: live.meta.version, promoted, liveNll: result.initialLoss, candidateNll: result.validLoss, epochs: result.epochsRun, streams: data.streams, dataFrom: data.from, dataTo: data.to };
}
