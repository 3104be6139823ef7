import type { Logger } from 'pino';
import { Subject } from 'rxjs';
import type { BackendName, Config } from '../config.ts';
import type { Engine } from '../engine/engine.ts';
import { rewarm } from '../engine/rewarm.ts';
import type { Tick } from '../engine/stepTicks.ts';
import { ForecasterError, ModelNotFoundError, ModelShapeError } from '../errors.ts';
import type { Model } from '../model/modelFile.ts';
import type { Store } from '../store/store.ts';
import { StreamHistories } from '../store/streamReadings.ts';
import type { TrainProgress } from '../train/gruTrainer.ts';
import { RETRAIN_DEFAULTS, retrain, type RetrainOutcome } from './retrain.ts';

export type TrainingEvent =
  | { readonly type: 'training'; readonly phase: 'epoch'; readonly epoch: number; readonly epochs: number; readonly validNll: number }
  | { readonly type: 'training'; readonly phase: 'done'; readonly version: number; readonly promoted: boolean; readonly liveNll: number; readonly candidateNll: number }
  | { readonly type: 'training'; readonly phase: 'failed'; readonly code: string; readonly message: string };

export interface LiveModelDeps {
  readonly store: Store;
  readonly engine: Engine;
  readonly config: Config;
  readonly backend: BackendName;
  readonly log: Logger;
  /** Ticks stepped but not yet committed: their readings are replayed too. */
  readonly inFlight: () => Iterable<Tick>;
  /** Told of each switch, with the streams whose state changed. */
  readonly switched: (model: Model, streams: readonly string[]) => void;
}

/**
 * Which model serves, and how it changes while the stream runs: promotion and
 * rollback between ticks (weights swapped, every in-memory stream re-warmed over
 * its latest readings under them), and retraining on a trainer thread.
 */
export class LiveModel {
  readonly training$ = new Subject<TrainingEvent>();
  private running: Promise<RetrainOutcome> | null = null;
  private readonly stopTraining = new AbortController();
  private readonly lastReadings;

  constructor(private current: Model, private readonly deps: LiveModelDeps) {
    this.lastReadings = new StreamHistories(deps.store.db);
  }

  /** The model serving now. */
  get model(): Model {
    return this.current;
  }

  /**
   * Makes a stored version live, between two ticks. Resolves to the streams re-warmed.
   * @throws ModelNotFoundError, ModelShapeError (another spec), StoreError.
   */
  set(version: number): Promise<number> {
    return this.deps.engine.exclusive(() => this.setNow(version));
  }

  private setNow(version: number): number {
    const { store, engine, config } = this.deps;
    const next = store.checkpoints.load(version);
    if (next === undefined) throw new ModelNotFoundError(`no model version ${version} in ${config.store.path}`);
    if (JSON.stringify(next.spec) !== JSON.stringify(this.model.spec)) {
      throw new ModelShapeError(`model version ${version} has spec ${JSON.stringify(next.spec)}; the running one ${JSON.stringify(this.model.spec)}`);
    }
    const started = performance.now();
    // Synchronous throughout, and run between steps (exclusive): no tick runs in between.
    const history = this.histories(config.training.rewarmReadings);
    engine.setModel(next.weights, version);
    this.current = next;
    const keys = [...engine.table.streamKeys()];
    const replayed = rewarm(engine, keys, history);
    store.checkpoints.setLive(version);
    this.deps.switched(next, keys);
    this.deps.log.info({ version, streams: keys.length, replayed, ms: Math.round(performance.now() - started) }, 'model live; streams re-warmed');
    return keys.length;
  }

  /** One retraining run (joined if one is going); a promoted candidate goes live at once. */
  retrain(onProgress?: (p: TrainProgress) => void): Promise<RetrainOutcome> {
    this.running ??= this.run(onProgress).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops a run in progress (the live model is as it was) and ends the events. */
  async stop(): Promise<void> {
    this.stopTraining.abort();
    await this.running?.catch(() => undefined);
    this.training$.complete();
  }

  private async run(onProgress?: (p: TrainProgress) => void): Promise<RetrainOutcome> {
    const { store, backend, config, log } = this.deps;
    try {
      const progress = (p: TrainProgress) => {
        this.training$.next({ type: 'training', phase: 'epoch', epoch: p.epoch, epochs: p.epochs, validNll: p.validLoss });
        onProgress?.(p);
      };
      const out = await retrain(store, this.model, backend, { ...RETRAIN_DEFAULTS, margin: config.training.margin }, progress, this.stopTraining.signal);
      log.info(out, out.promoted ? 'retrained model promoted' : 'retrained model not promoted');
      if (out.promoted) await this.set(out.version);
      this.training$.next({ type: 'training', phase: 'done', version: out.version, promoted: out.promoted, liveNll: out.liveNll, candidateNll: out.candidateNll });
      return out;
    } catch (err) {
      const code = err instanceof ForecasterError ? err.code : 'FC_ERR_TRAINING';
      this.training$.next({ type: 'training', phase: 'failed', code, message: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  /** Each stream's latest `k` readings: from the store, plus those of ticks not yet committed. */
  private histories(k: number): (key: string) => { ts: number; value: number }[] {
    const uncommitted = new Map<string, { ts: number; value: number }[]>();
    for (const t of this.deps.inFlight()) {
      const f = t.forecasts;
      for (let j = 0; j < f.count; j++) {
        let list = uncommitted.get(f.stream[j]);
        if (list === undefined) uncommitted.set(f.stream[j], (list = []));
        list.push({ ts: f.ts[j], value: f.value[j] });
      }
    }
    const storedOf = this.lastReadings.latest(k);
    const streams = this.deps.store.writer.streams;
    return (key) => {
      const sid = streams.find(key);
      const stored = sid === undefined ? [] : storedOf(sid);
      const last = stored.length === 0 ? -Infinity : stored[stored.length - 1].ts;
      const rows = [...stored, ...(uncommitted.get(key) ?? []).filter((r) => r.ts > last)];
      return rows.slice(Math.max(0, rows.length - k));
    };
  }
}
