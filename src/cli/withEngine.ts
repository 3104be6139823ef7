import type { Logger } from 'pino';
import { loadModel } from '../app.ts';
import { createBackendRegistry } from '../backend/backendRegistry.ts';
import { selectBackend } from '../backend/selectBackend.ts';
import type { Config } from '../config.ts';
import { createEngine } from '../engine/buildEngine.ts';
import type { Engine } from '../engine/engine.ts';

/** Runs `work` on an engine as the configuration makes it (backend, model, settings), disposed after. */
export async function withEngine<T>(config: Config, log: Logger, work: (engine: Engine) => T): Promise<Awaited<T>> {
  const backend = await selectBackend(config.backend, createBackendRegistry(), log.child({ component: 'backend' }));
  const engine = await createEngine(loadModel(config.modelPath), config.engine, backend.name, log);
  try {
    return await work(engine);
  } finally {
    engine.dispose();
  }
}
