import type { EngineConfig } from '../config.ts';
import type { Model } from '../model/modelFile.ts';
import { TfGruKernel } from '../model/tfGruKernel.ts';
import { Engine } from './engine.ts';
import { StateTable } from './stateTable.ts';

/**
 * An engine for `model` on the active tfjs backend, with an empty state table.
 * Call after `selectBackend`. The caller disposes `engine.kernel` when done.
 */
export function buildEngine(model: Model, config: Pick<EngineConfig, 'maxKeyLength' | 'initialCapacity'>): Engine {
  const kernel = new TfGruKernel(model.spec, model.weights);
  const table = new StateTable(model.spec.hidden, config.initialCapacity);
  return new Engine(kernel, table, { maxKeyLength: config.maxKeyLength, modelVersion: model.meta.version });
}
