import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { FEATURE_COUNT } from '../../src/engine/features.ts';
import { initWeights } from '../../src/model/gruWeights.ts';
import type { ModelSpec } from '../../src/model/modelSpec.ts';
import { evaluateWeights, trainGru } from '../../src/train/gruTrainer.ts';
import { generateSeries } from '../../src/train/synthetic.ts';
import { buildTrainingData } from '../../src/train/trainingData.ts';
import { useBestBackend } from '../support/backend.ts';

const spec: ModelSpec = { inputSize: FEATURE_COUNT, hidden: 8, horizons: [1, 4], featureSet: 'v1' };

describe('trainGru', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('lowers the validation loss on synthetic series and leaks no tensors', async () => {
    const data = (seed: number) => buildTrainingData(Array.from({ length: 16 }, (_, i) => generateSeries(seed + i, 140)), 128, spec.horizons);
    const valid = data(1000);
    const init = initWeights(spec, 5);
    const before = evaluateWeights(spec, init, valid, 32, 16);
    const tensors = tf.memory().numTensors;
    const progress: number[] = [];
    const result = await trainGru({
      spec, init, trainData: (e) => data(e * 100), validData: valid,
      epochs: 6, chunk: 32, batchSize: 16, learningRate: 1e-2, patience: 6,
      onProgress: (p) => progress.push(p.validLoss),
    });
    expect(progress.length).toBeGreaterThan(0);
    expect(result.validLoss).toBeLessThan(before * 0.8);
    expect(evaluateWeights(spec, result.weights, valid, 32, 16)).toBeCloseTo(result.validLoss, 4);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('adds the weighted squared error of the means to the NLL when asked', () => {
    const valid = buildTrainingData(Array.from({ length: 4 }, (_, i) => generateSeries(50 + i, 80)), 64, spec.horizons);
    const w = initWeights(spec, 6);
    const nll = evaluateWeights(spec, w, valid, 32, 16);
    const one = evaluateWeights(spec, w, valid, 32, 16, 1) - nll;
    const three = evaluateWeights(spec, w, valid, 32, 16, 3) - nll;
    expect(one).toBeGreaterThan(0);
    expect(three).toBeCloseTo(3 * one, 3);
  });

  it('generates the same series from the same seed', () => {
    expect(generateSeries(9, 50)).toEqual(generateSeries(9, 50));
    expect(generateSeries(9, 50).values).not.toEqual(generateSeries(10, 50).values);
  });
});
