import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { BackendName, EngineConfig } from '../config.ts';
import type { Model } from '../model/modelFile.ts';
import { TfGruKernel } from '../model/tfGruKernel.ts';
import { Engine } from './engine.ts';
import { LocalRounds } from './localRounds.ts';
import { ParallelRounds } from './parallelRounds.ts';
import type { RoundExecutor } from './roundExecutor.ts';
import { StateTable } from './stateTable.ts';

import type { StreamState } from './stateTable.ts';

type EngineSettings = Pick<EngineConfig, 'maxKeyLength' | 'initialCapacity'>;

/**
 * An engine for `model` on the active tfjs backend, on this thread alone, with
 * an empty state table. Call after `selectBackend`; `engine.dispose()` when done.
 */
export function buildEngine(model: Model, config: EngineSettings): Engine {
  return assemble(new LocalRounds(new TfGruKernel(model.spec, model.weights)), model, config);
}

/** Threads to step with: 1 on the native backends (they parallelise inside), else `configured`, or the core count up to 4. */
export function computeThreads(backend: BackendName, configured: number): number {
  if (backend === 'tensorflow' || backend === 'tensorflow-gpu') return 1;
  if (configured > 0) return configured;
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * The service's engine: on the single-threaded CPU backends, each round is
 * split across `engine.computeThreads` threads.
 * @throws KernelError when a compute thread cannot start.
 */
export async function createEngine(
  model: Model,
  config: EngineSettings & Pick<EngineConfig, 'computeThreads'>,
  backend: BackendName,
  log: Logger,
  loader?: (key: string) => StreamState | undefined,
): Promise<Engine> {
  const threads = computeThreads(backend, config.computeThreads);
  const executor: RoundExecutor =
    threads > 1
      ? await ParallelRounds.create(model.spec, model.weights, { backend, threads, log })
      : new LocalRounds(new TfGruKernel(model.spec, model.weights));
  return assemble(executor, model, config, loader);
}

function assemble(executor: RoundExecutor, model: Model, config: EngineSettings, loader?: (key: string) => StreamState | undefined): Engine {
  const table = new StateTable(model.spec.hidden, config.initialCapacity);
  return new Engine(executor, table, { maxKeyLength: config.maxKeyLength, modelVersion: model.meta.version, loader });
}
