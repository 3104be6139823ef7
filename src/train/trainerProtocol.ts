import type { BackendName } from '../config.ts';
import type { GruWeights } from '../model/gruWeights.ts';
import type { ModelSpec } from '../model/modelSpec.ts';
import type { TrainProgress } from './gruTrainer.ts';
import type { TrainingData } from './trainingData.ts';

/** The knobs of one training run (the data and starting weights travel beside them). */
export interface TrainSettings {
  readonly epochs: number;
  readonly chunk: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly patience: number;
}

export interface TrainerJob {
  readonly backend: BackendName;
  readonly spec: ModelSpec;
  readonly init: GruWeights;
  readonly train: TrainingData;
  readonly valid: TrainingData;
  readonly settings: TrainSettings;
}

export type TrainerMessage =
  | { readonly type: 'progress'; readonly progress: TrainProgress }
  | { readonly type: 'done'; readonly weights: GruWeights; readonly validLoss: number; readonly initialLoss: number; readonly epochsRun: number }
  | { readonly type: 'failed'; readonly message: string };
