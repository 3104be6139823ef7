/**
 * The trainer's thread: its own tfjs instance, so training never holds up the
 * ticks. Takes one job (in workerData), posts progress per epoch, then the
 * best weights, and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { createBackendRegistry } from '../backend/backendRegistry.ts';
import { selectBackend } from '../backend/selectBackend.ts';
import { evaluateWeights, trainGru } from './gruTrainer.ts';
import type { TrainerJob, TrainerMessage } from './trainerProtocol.ts';

const job = workerData as TrainerJob;
if (parentPort === null) throw new Error('trainerWorker runs as a worker thread');
const port = parentPort;
const post = (m: TrainerMessage): void => port.postMessage(m);
port.postMessage('ready');
try {
  await selectBackend(job.backend, createBackendRegistry(), pino({ level: 'silent' }));
  const initialLoss = evaluateWeights(job.spec, job.init, job.valid, job.settings.chunk, job.settings.batchSize);
  const result = await trainGru({
    spec: job.spec,
    init: job.init,
    trainData: () => job.train,
    validData: job.valid,
    ...job.settings,
    onProgress: (progress) => post({ type: 'progress', progress }),
  });
  post({ type: 'done', weights: result.weights, validLoss: result.validLoss, initialLoss, epochsRun: result.epochsRun });
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
}
