import { readFileSync } from 'node:fs';
import { concatMap, from, map, merge, type Observable, Subject, type Subscription, takeUntil } from 'rxjs';
import type { Logger } from 'pino';
import { alertEvents } from './anomaly/alertEvents.ts';
import { logAlertEvents } from './anomaly/alertLog.ts';
import { alertmanagerPayload } from './anomaly/alertmanagerPayload.ts';
import { type AlertEvent, AlertTracker } from './anomaly/alertTracker.ts';
import { createBackendRegistry } from './backend/backendRegistry.ts';
import type { BackendPlugin } from './backend/backendPlugin.ts';
import { type BackendSelection, selectBackend } from './backend/selectBackend.ts';
import { type Config, serverUrl } from './config.ts';
import { createEngine } from './engine/buildEngine.ts';
import { DirtyStreams } from './engine/dirtyStreams.ts';
import type { Engine } from './engine/engine.ts';
import type { Forecast } from './engine/reading.ts';
import type { StreamState } from './engine/stateTable.ts';
import { stepTicks, type Tick } from './engine/stepTicks.ts';
import { TickStats } from './engine/tickStats.ts';
import { ModelFormatError } from './errors.ts';
import { CronSchedule } from './jobs/cronSchedule.ts';
import { LiveModel, type TrainingEvent } from './jobs/liveModel.ts';
import type { RetrainOutcome } from './jobs/retrain.ts';
import type { TrainProgress } from './train/gruTrainer.ts';
import { decodeModel, type Model } from './model/modelFile.ts';
import { type InjectedAnomaly, simulate, Simulator } from './sim/simulator.ts';
import { recover } from './store/recovery.ts';
import { SnapshotTracker } from './store/snapshotTracker.ts';
import { Store } from './store/store.ts';
import { WriterThread } from './store/writerThread.ts';
import type { Metrics } from './serve/metrics.ts';

export interface App {
  readonly backend: BackendSelection;
  /** The live model. */
  readonly model: Model;
  readonly engine: Engine;
  readonly stats: TickStats;
  readonly store: Store;
  /** Every tick once committed to the store: the moment its readings may be acknowledged. */
  readonly committed$: Observable<Tick>;
  /**
   * Every tick as soon as it is stepped, while the store commits it: for work
   * that may start early (printing its feed frame) but whose result must not
   * be shown before the same tick comes on `committed$`. A tick whose commit
   * fails never comes there.
   */
  readonly stepped$: Observable<Tick>;
  /** Alert events (opened, escalated, resolved, missing data), once stored: one array per tick or sweep that caused any. */
  readonly alerts$: Observable<readonly AlertEvent[]>;
  /** Starts the pipeline: simulator → ticks → engine → log. */
  start(): void;
  /** Stops the sources, lets the last tick finish, saves the stream states, frees the model, closes the store. */
  stop(): Promise<void>;
  /** Resolves when the pipeline ends (its source completed or it failed), with the failure or null. */
  done(): Promise<unknown>;
  /** True while the pipeline runs: recovered, started, not failed or stopped. */
  ready(): boolean;
  /** Ticks sent to the writer thread and not yet committed. */
  pendingWrites(): number;
  /**
   * Makes a stored model version live, between ticks: swaps the weights and
   * replays each in-memory stream's latest `training.rewarmReadings` readings
   * under them. Serves promotion and rollback. Resolves with the streams re-warmed.
   * @throws ModelNotFoundError, ModelShapeError (another spec), StoreError.
   */
  setLiveModel(version: number): Promise<number>;
  /**
   * One retraining run now, on a trainer thread, from the stored recent readings;
   * a promoted candidate goes live at once (as setLiveModel). A run already going is joined.
   * @throws TrainingDataError, TrainingError, StoreError.
   */
  retrainNow(onProgress?: (p: TrainProgress) => void): Promise<RetrainOutcome>;
  /** Progress and outcome of every retraining run (on a timer, on demand), for the feed and the metrics. */
  readonly training$: Observable<TrainingEvent>;
}

export interface AppDeps {
  readonly log: Logger;
  readonly backends?: readonly BackendPlugin[];
  /** Where readings come from; the built-in simulator when absent (and `simulate` is not false). */
  readonly source?: Observable<unknown>;
  /** Run the built-in simulator when no `source` is given (default true). */
  readonly simulate?: boolean;
  /** More readings, merged in (the HTTP ingest). */
  readonly extraSource?: Observable<unknown>;
  /** Prometheus metrics to keep up to date. */
  readonly metrics?: Metrics;
}

/**
 * Builds the service from one frozen configuration: picks the backend, loads
 * the model, builds the engine. Nothing runs until `start`.
 * @throws BackendUnavailableError, ModelFormatError, ModelShapeError at start-up.
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<App> {
  const log = deps.log;
  const backend = await selectBackend(config.backend, deps.backends ?? createBackendRegistry(), log.child({ component: 'backend' }));
  const storeLog = log.child({ component: 'store' });
  let progressAt = 0;
  const store = Store.open(config.store.path, {
    onMigrationProgress: ({ version, name, done, total }) => {
      // A migration that rewrites a large file takes minutes: a line every 2 s, and the last.
      if (Date.now() - progressAt < 2000 && done < total) return;
      progressAt = Date.now();
      storeLog.info({ version, name, done, total }, `migrating the store: ${done} of ${total} rows`);
    },
  });
  storeLog.info({ file: config.store.path, schemaFrom: store.migration.from, schemaTo: store.migration.to }, 'store opened');
  let model: Model;
  let engine: Engine;
  let writer: WriterThread;
  /** Streams whose in-memory state is newer than their stored snapshot. */
  const dirty = new DirtyStreams();
  /** States of evicted streams until the writer has saved them. */
  const evicting = new Map<string, StreamState>();
  let liveVersion = 0;
  const loader = (key: string): StreamState | undefined => {
    const pending = evicting.get(key);
    if (pending !== undefined) return pending;
    const stored = store.snapshots.load(key);
    if (stored === undefined) return undefined;
    if (stored.modelVersion !== liveVersion) {
      storeLog.warn({ stream: key, stateVersion: stored.modelVersion, modelVersion: liveVersion }, 'stored state is of another model version; the stream starts afresh');
      return undefined;
    }
    return stored.state;
  };
  try {
    // A fresh database takes the configured model file as its first live version.
    model = store.checkpoints.ensureLive(loadModel(config.modelPath));
    log.info({ version: model.meta.version, spec: model.spec }, 'model loaded');
    liveVersion = model.meta.version;
    engine = await createEngine(model, config.engine, backend.name, log.child({ component: 'engine' }), loader);
    const tracker = new SnapshotTracker(store.snapshots);
    recover(engine, store, tracker, storeLog, config.engine.maxBatch);
    for (const key of tracker.takeDirty()) dirty.add(key);
    writer = await WriterThread.start(config.store.path, storeLog, config.alerts.webhook.url === '' ? null : config.alerts.webhook);
  } catch (err) {
    store.close();
    throw err;
  }
  const committed$ = new Subject<Tick>();
  const stepped$ = new Subject<Tick>();
  const alerts$ = new Subject<readonly AlertEvent[]>();
  const alertTracker = new AlertTracker(config.alerts);
  // Alerts open at the last stop carry on: they resolve, rather than open a second time.
  alertTracker.restore(store.alerts.openAlerts(), Date.now());
  const alertLog = log.child({ component: 'alerts' });
  const externalUrl = serverUrl(config.server.host, config.server.port);
  let alertSubscription: Subscription | null = null;
  const storeAlerts = (events: AlertEvent[]): void => {
    const payloads = config.alerts.webhook.url === '' ? null : events.map((e) => alertmanagerPayload(e, externalUrl));
    logAlertEvents(alertLog, events);
    writer.alerts(events, payloads).then(
      () => alerts$.next(events),
      (err: unknown) => alertLog.error({ err, alerts: events.length }, 'storing alerts failed'),
    );
  };
  const stats = new TickStats();
  const stop$ = new Subject<void>();
  let subscription: Subscription | null = null;
  let statsTimer: NodeJS.Timeout | null = null;
  let done: Promise<void> = Promise.resolve();

  const simLog = log.child({ component: 'simulator' });
  const sim = new Simulator(config.simulator, Date.now(), (a: InjectedAnomaly) => simLog.debug(a, 'anomaly injected'));
  const engineLog = log.child({ component: 'engine' });
  let sample: Forecast | null = null;
  let windowStart = { at: performance.now(), readings: 0 };

  const metrics = deps.metrics;
  let running = false;
  let sinceRetrain = 0;
  const onTick = (tick: Tick): void => {
    if (metrics !== undefined) {
      metrics.tickSize.observe(tick.readings.length);
      metrics.tickLatency.observe(tick.stepMs / 1000);
      metrics.streams.set(engine.table.size);
      for (const r of tick.rejected) metrics.readingsRejected.inc({ code: r.code });
      metrics.readingsIngested.inc({ source: 'all' }, tick.forecasts.count);
    }
    committed$.next(tick);
    stats.record(tick);
    if (config.training.everyReadings > 0) {
      sinceRetrain += tick.readings.length;
      if (sinceRetrain >= config.training.everyReadings) {
        sinceRetrain = 0;
        retrainInBackground('new readings');
      }
    }
    const f = tick.forecasts;
    for (let j = 0; j < f.count; j++) if (f.stream[j] === sim.keys[0]) sample = f.forecast(j);
    for (const r of tick.rejected) engineLog.warn({ code: r.code, reason: r.message }, 'reading rejected');
  };

  const logStats = (): void => {
    const now = performance.now();
    const rate = ((stats.readings - windowStart.readings) * 1000) / Math.max(1, now - windowStart.at);
    windowStart = { at: now, readings: stats.readings };
    const s: Forecast | null = sample;
    engineLog.info(
      {
        readingsPerS: Math.round(rate),
        streams: engine.table.size,
        ticks: stats.ticks,
        tickP50Ms: round(stats.latencyQuantile(0.5)),
        tickP99Ms: round(stats.latencyQuantile(0.99)),
        rejected: Object.fromEntries(stats.rejectedByCode),
        sample: s === null ? null : {
          stream: s.stream,
          value: round(s.value),
          next: s.points.map((p) => ({ horizon: p.horizon, mean: round(p.mean), lower: round(p.lower), upper: round(p.upper) })),
        },
      },
      'throughput',
    );
  };

  /** Posts a write of the tick (the writer starts on it at once) and notes the streams it changed. */
  let pending = 0;
  /** Ticks stepped and sent to the writer, not yet committed (a promotion replays their readings too). */
  const inFlight = new Set<Tick>();
  const post = (tick: Tick): { tick: Tick; committed: Promise<number>; postedAt: number } => {
    pending++;
    inFlight.add(tick);
    dirty.markCodes(tick.forecasts.code);
    const committed = writer.write(tick);
    // The pipeline takes the failure up in order; this only keeps it from counting as unhandled.
    committed.catch(() => {});
    stepped$.next(tick);
    return { tick, committed, postedAt: performance.now() };
  };
  const afterCommit = (w: { tick: Tick; postedAt: number }): Tick => {
    pending--;
    inFlight.delete(w.tick);
    metrics?.storeLatency.observe((performance.now() - w.postedAt) / 1000);
    return w.tick;
  };
  const snapshot = async (): Promise<void> => {
    // Between steps (a tick's rows are being written while its step is out), straight from the table's rows.
    const states = await engine.exclusive(() => {
      const encoded = engine.table.exportEncoded(dirty);
      dirty.clear();
      return encoded;
    });
    const n = await writer.snapshotEncoded(states, engine.modelVersion);
    storeLog.debug({ streams: n }, 'stream states saved');
  };
  /** Saves and drops the states of streams idle longer than idleEvictS; they come back on their next reading. */
  const evictIdle = async (): Promise<void> => {
    const states = await engine.exclusive(() => {
      const removed: StreamState[] = [];
      for (const key of engine.idleStreams(config.store.idleEvictS * 1000)) {
        const state = engine.table.remove(key);
        if (state === undefined) continue;
        removed.push(state);
        evicting.set(key, state);
        dirty.delete(key);
      }
      return removed;
    });
    if (states.length === 0) return;
    try {
      await writer.snapshot(states, engine.modelVersion);
    } finally {
      // A stream that came back meanwhile carries on from this state; drop only what is still ours.
      for (const s of states) if (evicting.get(s.key) === s) evicting.delete(s.key);
    }
    storeLog.info({ streams: states.length, inMemory: engine.table.size }, 'idle streams evicted');
  };
  /** One retention pass: batches of old rows deleted on the writer thread, between ticks. */
  let pruning = false;
  const prune = async (): Promise<void> => {
    if (pruning) return;
    pruning = true;
    try {
      for (const [table, days] of Object.entries(config.store.retentionDays) as [keyof typeof config.store.retentionDays, number][]) {
        if (days <= 0) continue;
        const before = Date.now() - days * 86_400_000;
        let total = 0;
        for (let more = true; more && !stopping; ) {
          const step = await writer.prune(table, before, config.store.pruneBatch);
          total += step.deleted;
          more = step.more;
        }
        if (total > 0) storeLog.info({ table, deleted: total, olderThanDays: days }, 'retention pruned');
      }
    } finally {
      pruning = false;
    }
  };
  let stopping = false;
  let snapshotTimer: NodeJS.Timeout | null = null;
  let pruneTimer: NodeJS.Timeout | null = null;
  let evictTimer: NodeJS.Timeout | null = null;
  let retrainTimer: NodeJS.Timeout | null = null;
  let scheduleTimer: NodeJS.Timeout | null = null;
  let failure: unknown = null;

  const modelLog = log.child({ component: 'model' });
  const live = new LiveModel(model, {
    store,
    engine,
    config,
    backend: backend.name,
    log: modelLog,
    inFlight: () => inFlight,
    switched: (next, keys) => {
      liveVersion = next.meta.version;
      for (const k of keys) dirty.add(k);
    },
  });
  /** Starts a retraining run that nobody awaits (timer, schedule, new readings); a failure leaves the live model serving. */
  const retrainInBackground = (trigger: string): void => {
    live.retrain().catch((err: unknown) => modelLog.warn({ err, trigger }, 'retraining produced no model; the live one serves on'));
  };

  return {
    backend,
    get model() {
      return live.model;
    },
    engine,
    stats,
    store,
    committed$,
    stepped$,
    alerts$,
    start(): void {
      if (subscription !== null) return;
      alertSubscription = committed$.pipe(map((t) => t.forecasts), alertEvents(alertTracker, config.alerts.sweepMs)).subscribe(storeAlerts);
      log.info({ streams: config.simulator.streams, tickMs: config.simulator.tickMs, backend: backend.name }, 'service started');
      done = new Promise<void>((resolve) => {
        const main = deps.source ?? (deps.simulate === false ? null : simulate(sim, config.simulator.tickMs));
        const sources = [main, deps.extraSource].filter((x): x is Observable<unknown> => x !== null && x !== undefined);
        running = true;
        subscription = merge(...sources)
          .pipe(
            takeUntil(stop$),
            stepTicks(engine, { maxBatch: config.engine.maxBatch, maxWaitMs: config.engine.maxWaitMs, coverage: config.engine.intervalCoverage }),
            // Crash-only on a failed write: the error ends the pipeline, nothing of the tick is
            // acknowledged, and a restart rebuilds every state from what was committed.
            map(post),
            concatMap((w) => from(w.committed).pipe(map(() => afterCommit(w)))),
          )
          .subscribe({
            next: onTick,
            error: (err: unknown) => {
              running = false;
              failure = err;
              log.error({ err }, 'pipeline failed');
              resolve();
            },
            complete: () => {
              running = false;
              resolve();
            },
          });
      });
      if (config.statsIntervalS > 0) statsTimer = setInterval(logStats, config.statsIntervalS * 1000);
      snapshotTimer = setInterval(() => {
        // States are rebuilt from committed readings on restart; a failed snapshot loses nothing.
        snapshot().catch((err: unknown) => storeLog.error({ err }, 'saving stream states failed'));
      }, config.store.snapshotIntervalS * 1000);
      pruneTimer = setInterval(() => {
        prune().catch((err: unknown) => storeLog.error({ err }, 'retention pass failed'));
      }, config.store.pruneIntervalS * 1000);
      if (config.training.schedule !== '') {
        const cron = new CronSchedule(config.training.schedule);
        const plan = (): void => {
          const at = cron.next(new Date());
          if (at === null || stopping) return;
          // setTimeout takes at most ~24.8 days; a longer wait is taken in steps.
          const wait = Math.min(at.getTime() - Date.now(), 2 ** 31 - 1);
          scheduleTimer = setTimeout(() => {
            if (Date.now() >= at.getTime()) {
              modelLog.info({ schedule: config.training.schedule }, 'scheduled retraining starts');
              retrainInBackground('schedule');
            }
            plan();
          }, wait);
          scheduleTimer.unref();
        };
        plan();
      }
      if (config.training.intervalS > 0) {
        retrainTimer = setInterval(() => retrainInBackground('interval'), config.training.intervalS * 1000);
      }
      if (config.store.idleEvictS > 0) {
        evictTimer = setInterval(() => {
          evictIdle().catch((err: unknown) => storeLog.error({ err }, 'evicting idle streams failed'));
        }, Math.min(60, Math.max(1, config.store.idleEvictS / 4)) * 1000);
      }
    },
    done: () => done.then(() => failure),
    ready: () => running,
    pendingWrites: () => pending,
    setLiveModel: async (version) => live.set(version),
    retrainNow: (onProgress) => live.retrain(onProgress),
    training$: live.training$,
    async stop(): Promise<void> {
      running = false;
      stop$.next();
      await done;
      if (statsTimer !== null) clearInterval(statsTimer);
      stopping = true;
      for (const t of [snapshotTimer, pruneTimer, evictTimer, retrainTimer]) if (t !== null) clearInterval(t);
      if (scheduleTimer !== null) clearTimeout(scheduleTimer);
      // A run in progress is stopped; the live model is as it was.
      await live.stop();
      // The closing line, unless the last periodic one was just written: a rate over a few
      // milliseconds says nothing (the `service stopped` line carries the totals).
      if (subscription !== null && performance.now() - windowStart.at >= 250) logStats();
      stepped$.complete();
      committed$.complete();
      alertSubscription?.unsubscribe();
      try {
        if (failure === null) await snapshot();
        await writer.close();
        alerts$.complete();
      } finally {
        // A step still out (the pipeline failed while one was computed) finishes first.
        await engine.exclusive(() => undefined);
        engine.dispose();
        store.close();
      }
      log.info({ readings: stats.readings, forecasts: stats.forecasts, streams: engine.table.size }, 'service stopped');
    },
  };
}

/** @throws ModelFormatError naming the file when it cannot be read or decoded. */
export function loadModel(path: string): Model {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ModelFormatError(`cannot read model file ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return decodeModel(bytes, `model file ${path}`);
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
