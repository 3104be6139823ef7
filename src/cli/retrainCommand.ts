import type { Logger } from 'pino';
import { createBackendRegistry } from '../backend/backendRegistry.ts';
import { selectBackend } from '../backend/selectBackend.ts';
import type { Config } from '../config.ts';
import { RETRAIN_DEFAULTS, retrain } from '../jobs/retrain.ts';
import { loadModel } from '../app.ts';
import { Store } from '../store/store.ts';
import { progressBar } from './progressBar.ts';

/** `forecaster retrain`: one retraining run on the configured database, with a progress bar; prints the outcome as JSON. */
export async function retrainCommand(config: Config, log: Logger, opts: { epochs?: number }): Promise<void> {
  const backend = await selectBackend(config.backend, createBackendRegistry(), log.child({ component: 'backend' }));
  const store = Store.open(config.store.path);
  try {
    const live = store.checkpoints.ensureLive(loadModel(config.modelPath));
    const settings = { ...RETRAIN_DEFAULTS.settings, ...(opts.epochs === undefined ? {} : { epochs: opts.epochs }) };
    const bar = progressBar('retrain');
    const out = await retrain(store, live, backend.name, { ...RETRAIN_DEFAULTS, settings }, (p) => bar(p.epoch, p.epochs));
    process.stderr.write('\n');
    log.info(out, out.promoted ? 'candidate promoted: it is the live model now' : 'candidate kept, not promoted: it did not beat the live model by the margin');
    process.stdout.write(`${JSON.stringify({ retrain: out.version, ...out })}\n`);
  } finally {
    store.close();
  }
}
