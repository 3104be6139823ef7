import { readFileSync } from 'node:fs';
import { Subject, type Subscription, takeUntil } from 'rxjs';
import type { Logger } from 'pino';
import { createBackendRegistry } from './backend/backendRegistry.ts';
import type { BackendPlugin } from './backend/backendPlugin.ts';
import { type BackendSelection, selectBackend } from './backend/selectBackend.ts';
import type { Config } from './config.ts';
import { createEngine } from './engine/buildEngine.ts';
import type { Engine } from './engine/engine.ts';
import type { Forecast } from './engine/reading.ts';
import { stepTicks, type Tick } from './engine/stepTicks.ts';
import { TickStats } from './engine/tickStats.ts';
import { ModelFormatError } from './errors.ts';
import { decodeModel, type Model } from './model/modelFile.ts';
import { type InjectedAnomaly, simulate, Simulator } from './sim/simulator.ts';

export interface App {
  readonly backend: BackendSelection;
  readonly model: Model;
  readonly engine: Engine;
  readonly stats: TickStats;
  /** Starts the pipeline: simulator → ticks → engine → log. */
  start(): void;
  /** Stops the sources, lets the last tick finish, frees the model. */
  stop(): Promise<void>;
}

export interface AppDeps {
  readonly log: Logger;
  readonly backends?: readonly BackendPlugin[];
}

/**
 * Builds the service from one frozen configuration: picks the backend, loads
 * the model, builds the engine. Nothing runs until `start`.
 * @throws BackendUnavailableError, ModelFormatError, ModelShapeError at start-up.
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<App> {
  const log = deps.log;
  const backend = await selectBackend(config.backend, deps.backends ?? createBackendRegistry(), log.child({ component: 'backend' }));
  const model = loadModel(config.modelPath);
  log.info({ model: config.modelPath, version: model.meta.version, spec: model.spec }, 'model loaded');
  const engine = await createEngine(model, config.engine, backend.name, log.child({ component: 'engine' }));
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

  const onTick = (tick: Tick): void => {
    stats.record(tick);
    for (const o of tick.outcomes) {
      if (o.kind === 'forecast' && o.stream === sim.keys[0]) sample = o;
      else if (o.kind === 'rejected') engineLog.warn({ code: o.code, reason: o.message }, 'reading rejected');
    }
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

  return {
    backend,
    model,
    engine,
    stats,
    start(): void {
      if (subscription !== null) return;
      log.info({ streams: config.simulator.streams, tickMs: config.simulator.tickMs, backend: backend.name }, 'service started');
      done = new Promise<void>((resolve) => {
        subscription = simulate(sim, config.simulator.tickMs)
          .pipe(takeUntil(stop$), stepTicks(engine, { maxBatch: config.engine.maxBatch, maxWaitMs: config.engine.maxWaitMs, coverage: config.engine.intervalCoverage }))
          .subscribe({
            next: onTick,
            error: (err: unknown) => {
              log.error({ err }, 'pipeline failed');
              resolve();
            },
            complete: () => resolve(),
          });
      });
      if (config.statsIntervalS > 0) statsTimer = setInterval(logStats, config.statsIntervalS * 1000);
    },
    async stop(): Promise<void> {
      stop$.next();
      await done;
      if (statsTimer !== null) clearInterval(statsTimer);
      if (subscription !== null) logStats();
      engine.dispose();
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
