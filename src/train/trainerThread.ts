import type { Worker } from 'node:worker_threads';
import { TrainingError } from '../errors.ts';
import type { GruWeights } from '../model/gruWeights.ts';
import { startTsWorker } from '../util/tsWorker.ts';
import type { TrainProgress } from './gruTrainer.ts';
import type { TrainerJob, TrainerMessage } from './trainerProtocol.ts';

export interface TrainedCandidate {
  readonly weights: GruWeights;
  /** Validation NLL of the starting weights and of the best epoch, on the held-back slice. */
  readonly initialLoss: number;
  readonly validLoss: number;
  readonly epochsRun: number;
}

/**
 * One training run on its own thread. `result` settles with the candidate, or
 * rejects with TrainingError when the trainer fails, exits, or is stopped;
 * nothing it does touches the live model.
 */
export class TrainerThread {
  readonly result: Promise<TrainedCandidate>;
  private stopped = false;

  private constructor(private readonly worker: Worker, onProgress: (p: TrainProgress) => void) {
    this.result = new Promise<TrainedCandidate>((resolve, reject) => {
      worker.on('message', (m: TrainerMessage) => {
        if (m.type === 'progress') onProgress(m.progress);
        else if (m.type === 'done') resolve({ weights: m.weights, initialLoss: m.initialLoss, validLoss: m.validLoss, epochsRun: m.epochsRun });
        else reject(new TrainingError(`training failed: ${m.message}`));
      });
      worker.on('error', (err) => reject(new TrainingError(`trainer thread failed: ${err.message}`, { cause: err })));
      worker.on('exit', (code) => reject(new TrainingError(this.stopped ? 'training was stopped' : `trainer thread exited (code ${code}) before finishing`)));
    });
    // The exit after a finished run rejects a settled promise: harmless, but not to be reported.
    this.result.catch(() => {});
  }

  /** Starts the job on a new thread. @throws TrainingError when the thread cannot start. */
  static async start(job: TrainerJob, onProgress: (p: TrainProgress) => void = () => {}): Promise<TrainerThread> {
    try {
      return new TrainerThread(await startTsWorker(new URL('./trainerWorker.ts', import.meta.url), job), onProgress);
    } catch (err) {
      throw new TrainingError(`cannot start the trainer thread: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** Stops the run; `result` rejects with TrainingError. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.worker.terminate();
  }

  /** The thread, for resource checks (or for killing it in a test). */
  get thread(): Worker {
    return this.worker;
  }
}
