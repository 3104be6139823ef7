import { writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { FEATURE_COUNT } from '../engine/features.ts';
import { initWeights } from '../model/gruWeights.ts';
import { encodeModel, type Model } from '../model/modelFile.ts';
import { FEATURE_SET, type ModelSpec } from '../model/modelSpec.ts';
import { trainGru } from '../train/gruTrainer.ts';
import { generateSeries } from '../train/synthetic.ts';
import { buildTrainingData } from '../train/trainingData.ts';

export interface TrainDefaultOptions {
  readonly out: string;
  readonly seed: number;
  readonly epochs: number;
  readonly seriesPerEpoch: number;
  readonly steps: number;
  readonly hidden: number;
  readonly horizons: readonly number[];
}

export const TRAIN_DEFAULT_OPTIONS: Omit<TrainDefaultOptions, 'out'> = {
  seed: 1,
  epochs: 60,
  seriesPerEpoch: 256,
  steps: 512,
  hidden: 64,
  horizons: [1, 6, 24],
};

/**
 * Trains the model shipped with the package on synthetic series generated
 * from `seed` (fresh series every epoch, a fixed validation set) and writes it.
 * Reproducible: the same options on the same backend give the same file, bar `createdAt`.
 */
export async function trainDefaultModel(opts: TrainDefaultOptions, log: Logger): Promise<Model> {
  const spec: ModelSpec = { inputSize: FEATURE_COUNT, hidden: opts.hidden, horizons: opts.horizons, featureSet: FEATURE_SET };
  const seriesFor = (offset: number, count: number) =>
    Array.from({ length: count }, (_, i) => generateSeries(opts.seed * 1_000_003 + offset + i, opts.steps + opts.horizons[opts.horizons.length - 1]));
  const validData = buildTrainingData(seriesFor(0, 64), opts.steps, opts.horizons);
  const started = Date.now();
  const result = await trainGru({
    spec,
    init: initWeights(spec, opts.seed),
    trainData: (epoch) => buildTrainingData(seriesFor(epoch * 10_000, opts.seriesPerEpoch), opts.steps, opts.horizons),
    validData,
    epochs: opts.epochs,
    chunk: 64,
    batchSize: 128,
    learningRate: 3e-3,
    patience: 6,
    onProgress: (p) => {
      const elapsed = (Date.now() - started) / 1000;
      log.info(
        { epoch: p.epoch, of: p.epochs, trainNll: round(p.trainLoss), validNll: round(p.validLoss), best: p.best, elapsedS: Math.round(elapsed), etaS: Math.round((elapsed / p.epoch) * (p.epochs - p.epoch)) },
        `epoch ${p.epoch}/${p.epochs} ${bar(p.epoch / p.epochs)} valid NLL ${p.validLoss.toFixed(4)}${p.best ? ' (best)' : ''}`,
      );
    },
  });
  const model: Model = {
    spec,
    weights: result.weights,
    meta: {
      version: 1,
      createdAt: new Date().toISOString(),
      source: `forecaster train-default --seed ${opts.seed}: synthetic series (seasonality, trends, noise, level shifts, spikes, gaps)`,
      validNll: result.validLoss,
      epochs: result.epochsRun,
      seriesPerEpoch: opts.seriesPerEpoch,
      steps: opts.steps,
    },
  };
  writeFileSync(opts.out, encodeModel(model));
  log.info({ out: opts.out, validNll: result.validLoss, epochs: result.epochsRun }, 'default model written');
  return model;
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function bar(frac: number, width = 20): string {
  const n = Math.round(frac * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}
