import { fileURLToPath } from 'node:url';
import { type AlertConfig, DEFAULT_ALERTS, parseAlertRules, validateAlerts, type WebhookConfig } from './anomaly/alertConfig.ts';
import { ConfigError } from './errors.ts';
import { DEFAULT_TRAINING, type TrainingConfig, validateTraining } from './train/trainingConfig.ts';

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface EngineConfig {
  /** Most readings grouped into one tick. */
  readonly maxBatch: number;
  /** Longest a reading waits for its tick to fill, in milliseconds. */
  readonly maxWaitMs: number;
  /** Longest stream key accepted, in UTF-16 code units. */
  readonly maxKeyLength: number;
  /** Probability mass inside the forecast interval (0.95 gives mean ± 1.96 scale). */
  readonly intervalCoverage: number;
  /** Slots allocated up front in the state table; it doubles as streams arrive. */
  readonly initialCapacity: number;
  /**
   * Threads that share each batched step on the CPU backends (wasm, cpu); 0 picks
   * the machine's parallelism, capped at 4. GPU and native backends always use 1.
   */
  readonly computeThreads: number;
}

export interface SimulatorConfig {
  readonly streams: number;
  /** Simulated time between two readings of a stream. */
  readonly intervalMs: number;
  /** Wall-clock milliseconds between two rounds of readings (0: as fast as possible). */
  readonly tickMs: number;
  /** Chance per reading that an anomaly (spike, level shift, stuck sensor) starts. */
  readonly anomalyRate: number;
  readonly seed: number;
}

export interface StoreConfig {
  /** The SQLite file; its folder is created if missing. */
  readonly path: string;
  /** Seconds between snapshots of the changed streams' states (also taken at shutdown). */
  readonly snapshotIntervalS: number;
  /** Days each table keeps its rows (by the reading's time); 0 keeps them forever. */
  readonly retentionDays: { readonly readings: number; readonly forecasts: number; readonly alerts: number };
  /** Seconds between retention passes; each deletes in batches of `pruneBatch` rows between ticks. */
  readonly pruneIntervalS: number;
  readonly pruneBatch: number;
  /** Seconds without a reading after which a stream's state leaves memory (saved first); 0 never. */
  readonly idleEvictS: number;
}

export type Scope = 'ingest' | 'feed' | 'admin';
export const SCOPES: readonly Scope[] = ['ingest', 'feed', 'admin'];

export interface ServerConfig {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Largest request body accepted, bytes. */
  readonly maxBodyBytes: number;
  /** Most readings in one request. */
  readonly maxBatch: number;
  /** Readings accepted but not yet committed, across all requests; beyond it requests get 429. */
  readonly maxInFlight: number;
  /** Distinct streams one WebSocket ingest connection may write; readings of further streams are refused. */
  readonly maxStreamsPerConnection: number;
  /** Bytes unsent to a feed client beyond which it is behind (skipped until it drains). */
  readonly feedSoftBufferBytes: number;
  /** A feed client behind for longer than this is closed (4008). */
  readonly feedMaxBehindMs: number;
  /**
   * The most a feed client's window grows to: bytes sent to it that it has not yet confirmed reading (its
   * pong to a ping sent after them has not come back) beyond which it is behind; bounds what a stalled
   * client holds in kernel buffers.
   */
  readonly feedUnconfirmedBytes: number;
  /** A feed client's unconfirmed window before it has confirmed anything; it grows to twice what it confirms, up to `feedUnconfirmedBytes`. */
  readonly feedInitialWindowBytes: number;
  /** Bearer tokens and their scopes. None: open (allowed only on a loopback host, for the local demo). */
  readonly tokens: readonly { readonly token: string; readonly scopes: readonly Scope[] }[];
}

/** The HTTP base URL of a server on `host` and `port` (IPv6 hosts in brackets). */
export function serverUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export interface MqttConfig {
  /** Broker URL; empty turns MQTT ingest off. */
  readonly url: string;
  readonly topics: readonly string[];
  readonly stripPrefix: string;
  readonly rejectTopic: string;
  readonly clientId: string;
}

export interface Config {
  readonly backend: BackendChoice;
  readonly modelPath: string;
  readonly logLevel: LogLevel;
  /** Seconds between throughput log lines of the running service. */
  readonly statsIntervalS: number;
  readonly engine: EngineConfig;
  readonly simulator: SimulatorConfig;
  readonly store: StoreConfig;
  readonly server: ServerConfig;
  readonly mqtt: MqttConfig;
  readonly alerts: AlertConfig;
  readonly training: TrainingConfig;
  /** Where CLI commands that act on a running service (`model list`, `model rollback`) reach it. */
  readonly client: { readonly url: string; readonly token: string };
}

/** The model shipped with the package, trained by `forecaster train-default`. */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../models/default.fcm', import.meta.url));

export const DEFAULTS: Config = {
  backend: 'auto',
  modelPath: DEFAULT_MODEL_PATH,
  logLevel: 'info',
  statsIntervalS: 5,
  engine: {
    maxBatch: 4096,
    // Under load ticks fill while the engine steps the one before; the wait only adds latency
    // (bench:e2e paced at 60,000/s, paired: p50 57 → 40 ms, p99 115 → 85 ms at 5 against 20 ms;
    // at 100,000/s, four pairs: p50 10.8–13.7 ms at 2 against 15.5–23.4 at 5, the same closed-loop throughput).
    maxWaitMs: 2,
    maxKeyLength: 256,
    intervalCoverage: 0.95,
    initialCapacity: 1024,
    computeThreads: 0,
  },
  simulator: {
    streams: 300,
    intervalMs: 60_000,
    tickMs: 100,
    anomalyRate: 0.0005,
    seed: 7,
  },
  store: {
    path: 'data/forecaster.db',
    snapshotIntervalS: 30,
    retentionDays: { readings: 30, forecasts: 7, alerts: 90 },
    pruneIntervalS: 60,
    pruneBatch: 5000,
    idleEvictS: 3600,
  },
  server: {
    host: '127.0.0.1',
    port: 8080,
    maxBodyBytes: 1 << 20,
    maxBatch: 10_000,
    maxInFlight: 200_000,
    maxStreamsPerConnection: 100_000,
    feedSoftBufferBytes: 1 << 20,
    feedMaxBehindMs: 30_000,
    feedUnconfirmedBytes: 8 << 20,
    feedInitialWindowBytes: 256 << 10,
    tokens: [],
  },
  mqtt: {
    url: '',
    topics: ['sensors/#'],
    stripPrefix: 'sensors/',
    rejectTopic: 'forecaster/rejections',
    clientId: 'forecaster',
  },
  alerts: DEFAULT_ALERTS,
  training: DEFAULT_TRAINING,
  client: { url: 'http://127.0.0.1:8080', token: '' },
};

/** Partial overrides, as the CLI or a test gives them. */
export interface ConfigOverrides {
  backend?: string;
  modelPath?: string;
  logLevel?: string;
  statsIntervalS?: number;
  engine?: Partial<EngineConfig>;
  simulator?: Partial<SimulatorConfig>;
  store?: Partial<StoreConfig>;
  server?: Partial<ServerConfig>;
  mqtt?: Partial<MqttConfig>;
  alerts?: Partial<Omit<AlertConfig, 'webhook'>> & { webhook?: Partial<WebhookConfig> };
  training?: Partial<TrainingConfig>;
  client?: Partial<Config['client']>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Builds the one configuration object: defaults, then environment variables
 * (FORECASTER_*), then explicit overrides. Validated once and frozen.
 * @throws ConfigError naming the first setting that is out of range.
 */
export function loadConfig(overrides: ConfigOverrides = {}, env: Env = process.env): Config {
  const fromEnv = readEnv(env);
  const merged = {
    backend: overrides.backend ?? fromEnv.backend ?? DEFAULTS.backend,
    modelPath: overrides.modelPath ?? fromEnv.modelPath ?? DEFAULTS.modelPath,
    logLevel: overrides.logLevel ?? fromEnv.logLevel ?? DEFAULTS.logLevel,
    statsIntervalS: overrides.statsIntervalS ?? fromEnv.statsIntervalS ?? DEFAULTS.statsIntervalS,
    engine: { ...DEFAULTS.engine, ...fromEnv.engine, ...overrides.engine },
    simulator: { ...DEFAULTS.simulator, ...fromEnv.simulator, ...overrides.simulator },
    store: { ...DEFAULTS.store, ...fromEnv.store, ...overrides.store },
    server: { ...DEFAULTS.server, ...fromEnv.server, ...overrides.server },
    mqtt: { ...DEFAULTS.mqtt, ...fromEnv.mqtt, ...overrides.mqtt },
    alerts: {
      ...DEFAULTS.alerts,
      ...fromEnv.alerts,
      ...overrides.alerts,
      webhook: { ...DEFAULTS.alerts.webhook, ...fromEnv.alerts?.webhook, ...overrides.alerts?.webhook },
    },
    training: { ...DEFAULTS.training, ...fromEnv.training, ...overrides.training },
    client: { ...DEFAULTS.client, ...fromEnv.client, ...overrides.client },
  };
  return deepFreeze(validate(merged));
}

function readEnv(env: Env): ConfigOverrides & { engine: Partial<EngineConfig>; simulator: Partial<SimulatorConfig>; store: Partial<StoreConfig>; server: Partial<ServerConfig>; mqtt: Partial<MqttConfig> } {
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a number`);
    return n;
  };
  const engine: Partial<EngineConfig> = {};
  const simulator: Partial<SimulatorConfig> = {};
  setIfDefined(engine, 'maxBatch', num('FORECASTER_MAX_BATCH'));
  setIfDefined(engine, 'maxWaitMs', num('FORECASTER_MAX_WAIT_MS'));
  setIfDefined(engine, 'maxKeyLength', num('FORECASTER_MAX_KEY_LENGTH'));
  setIfDefined(engine, 'intervalCoverage', num('FORECASTER_INTERVAL_COVERAGE'));
  setIfDefined(engine, 'computeThreads', num('FORECASTER_COMPUTE_THREADS'));
  setIfDefined(simulator, 'streams', num('FORECASTER_SIM_STREAMS'));
  setIfDefined(simulator, 'tickMs', num('FORECASTER_SIM_TICK_MS'));
  const store: Partial<StoreConfig> = {};
  setIfDefined(store, 'path', env.FORECASTER_DB || undefined);
  setIfDefined(store, 'snapshotIntervalS', num('FORECASTER_SNAPSHOT_INTERVAL_S'));
  setIfDefined(store, 'idleEvictS', num('FORECASTER_IDLE_EVICT_S'));
  const server: Partial<ServerConfig> = {};
  setIfDefined(server, 'host', env.FORECASTER_HOST || undefined);
  setIfDefined(server, 'port', num('FORECASTER_PORT'));
  if (env.FORECASTER_TOKENS) setIfDefined(server, 'tokens', parseTokens(env.FORECASTER_TOKENS));
  const mqttConf: Partial<MqttConfig> = {};
  setIfDefined(mqttConf, 'url', env.FORECASTER_MQTT_URL || undefined);
  if (env.FORECASTER_MQTT_TOPICS) setIfDefined(mqttConf, 'topics', env.FORECASTER_MQTT_TOPICS.split(',').map((t) => t.trim()).filter((t) => t !== ''));
  if (env.FORECASTER_MQTT_STRIP_PREFIX !== undefined) setIfDefined(mqttConf, 'stripPrefix', env.FORECASTER_MQTT_STRIP_PREFIX);
  // Stable across restarts, so the broker keeps the session (and its queued messages) for this instance.
  setIfDefined(mqttConf, 'clientId', env.FORECASTER_MQTT_CLIENT_ID || undefined);
  const readingsDays = num('FORECASTER_RETENTION_READINGS_DAYS');
  const forecastsDays = num('FORECASTER_RETENTION_FORECASTS_DAYS');
  const alertsDays = num('FORECASTER_RETENTION_ALERTS_DAYS');
  if (readingsDays !== undefined || forecastsDays !== undefined || alertsDays !== undefined) {
    setIfDefined(store, 'retentionDays', {
      readings: readingsDays ?? DEFAULTS.store.retentionDays.readings,
      forecasts: forecastsDays ?? DEFAULTS.store.retentionDays.forecasts,
      alerts: alertsDays ?? DEFAULTS.store.retentionDays.alerts,
    });
  }
  const alerts: NonNullable<ConfigOverrides['alerts']> = {
    ...(env.FORECASTER_ALERT_RULES ? { rules: parseAlertRules(env.FORECASTER_ALERT_RULES) } : {}),
    ...(env.FORECASTER_ALERT_WEBHOOK_URL ? { webhook: { url: env.FORECASTER_ALERT_WEBHOOK_URL } } : {}),
    ...(env.FORECASTER_ALERT_MQTT_TOPIC !== undefined ? { mqttTopic: env.FORECASTER_ALERT_MQTT_TOPIC } : {}),
  };
  setIfDefined(alerts, 'missingAfterIntervals', num('FORECASTER_ALERT_MISSING_INTERVALS'));
  const training: Partial<TrainingConfig> = {};
  setIfDefined(training, 'rewarmReadings', num('FORECASTER_REWARM_READINGS'));
  setIfDefined(training, 'intervalS', num('FORECASTER_RETRAIN_INTERVAL_S'));
  setIfDefined(training, 'margin', num('FORECASTER_RETRAIN_MARGIN'));
  setIfDefined(training, 'everyReadings', num('FORECASTER_RETRAIN_EVERY_READINGS'));
  if (env.FORECASTER_RETRAIN_SCHEDULE !== undefined) setIfDefined(training, 'schedule', env.FORECASTER_RETRAIN_SCHEDULE.trim());
  const client: Partial<Config['client']> = {};
  setIfDefined(client, 'url', env.FORECASTER_URL || undefined);
  setIfDefined(client, 'token', env.FORECASTER_TOKEN || undefined);
  return {
    alerts,
    training,
    client,
    backend: env.FORECASTER_BACKEND || undefined,
    modelPath: env.FORECASTER_MODEL || undefined,
    logLevel: env.FORECASTER_LOG_LEVEL || undefined,
    statsIntervalS: num('FORECASTER_STATS_INTERVAL_S'),
    engine,
    simulator,
    store,
    server,
    mqtt: mqttConf,
  };
}

/**
 * Tokens as `TOKEN:scope,scope;TOKEN:scope` (FORECASTER_TOKENS).
 * @throws ConfigError naming a malformed entry or an unknown scope.
 */
export function parseTokens(spec: string): { token: string; scopes: Scope[] }[] {
  return spec
    .split(';')
    .filter((e) => e.trim() !== '')
    .map((entry) => {
      const at = entry.lastIndexOf(':');
      if (at <= 0) throw new ConfigError(`token entry "${entry.slice(0, 8)}…" must be TOKEN:scope[,scope]`);
      const scopes = entry.slice(at + 1).split(',').map((x) => x.trim());
      for (const sc of scopes) if (!(SCOPES as readonly string[]).includes(sc)) throw new ConfigError(`unknown token scope "${sc}"; scopes are ${SCOPES.join(', ')}`);
      return { token: entry.slice(0, at).trim(), scopes: scopes as Scope[] };
    });
}

function setIfDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

interface Unchecked {
  backend: string;
  modelPath: string;
  logLevel: string;
  statsIntervalS: number;
  engine: EngineConfig;
  simulator: SimulatorConfig;
  store: StoreConfig;
  server: ServerConfig;
  mqtt: MqttConfig;
  alerts: AlertConfig;
  training: TrainingConfig;
  client: Config['client'];
}

function validate(c: Unchecked): Config {
  validateAlerts(c.alerts);
  validateTraining(c.training);
  const backend = c.backend;
  if (backend !== 'auto' && !isBackendName(backend)) {
    throw new ConfigError(`backend must be auto or one of ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(backend)}`);
  }
  if (!isLogLevel(c.logLevel)) {
    throw new ConfigError(`logLevel must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(c.logLevel)}`);
  }
  if (typeof c.modelPath !== 'string' || c.modelPath === '') throw new ConfigError('modelPath must be a file path');
  integer('statsIntervalS', c.statsIntervalS, 0, 86_400);
  integer('engine.maxBatch', c.engine.maxBatch, 1, 1 << 20);
  integer('engine.maxWaitMs', c.engine.maxWaitMs, 0, 60_000);
  integer('engine.maxKeyLength', c.engine.maxKeyLength, 1, 4096);
  integer('engine.initialCapacity', c.engine.initialCapacity, 1, 1 << 24);
  integer('engine.computeThreads', c.engine.computeThreads, 0, 64);
  const cov = c.engine.intervalCoverage;
  if (!(typeof cov === 'number' && cov > 0 && cov < 1)) {
    throw new ConfigError(`engine.intervalCoverage must be in (0, 1); got ${cov}`);
  }
  integer('simulator.streams', c.simulator.streams, 1, 10_000_000);
  integer('simulator.intervalMs', c.simulator.intervalMs, 1, 86_400_000);
  integer('simulator.tickMs', c.simulator.tickMs, 0, 3_600_000);
  integer('simulator.seed', c.simulator.seed, 0, 2 ** 32 - 1);
  if (typeof c.store.path !== 'string' || c.store.path === '') throw new ConfigError('store.path must be a file path');
  integer('store.snapshotIntervalS', c.store.snapshotIntervalS, 1, 86_400);
  integer('store.pruneIntervalS', c.store.pruneIntervalS, 1, 86_400);
  integer('store.pruneBatch', c.store.pruneBatch, 1, 1_000_000);
  integer('store.idleEvictS', c.store.idleEvictS, 0, 365 * 86_400);
  for (const [table, days] of Object.entries(c.store.retentionDays)) integer(`store.retentionDays.${table}`, days, 0, 36_500);
  integer('server.port', c.server.port, 0, 65_535);
  integer('server.maxBodyBytes', c.server.maxBodyBytes, 1024, 1 << 30);
  integer('server.maxBatch', c.server.maxBatch, 1, 1_000_000);
  integer('server.maxInFlight', c.server.maxInFlight, 1, 100_000_000);
  integer('server.maxStreamsPerConnection', c.server.maxStreamsPerConnection, 1, 100_000_000);
  integer('server.feedSoftBufferBytes', c.server.feedSoftBufferBytes, 1, 1 << 30);
  integer('server.feedMaxBehindMs', c.server.feedMaxBehindMs, 1, 86_400_000);
  integer('server.feedUnconfirmedBytes', c.server.feedUnconfirmedBytes, 1, 1 << 30);
  integer('server.feedInitialWindowBytes', c.server.feedInitialWindowBytes, 1, 1 << 30);
  if (c.server.tokens.some((t) => t.token.length < 16)) throw new ConfigError('every token must be at least 16 characters');
  if (c.server.tokens.length === 0 && !isLoopback(c.server.host)) {
    throw new ConfigError(`server.host ${c.server.host} is not a loopback address: set FORECASTER_TOKENS before serving beyond this machine`);
  }
  if (c.mqtt.url !== '' && !/^mqtts?:\/\/|^wss?:\/\//.test(c.mqtt.url)) throw new ConfigError(`mqtt.url must be mqtt://, mqtts://, ws:// or wss://; got ${c.mqtt.url}`);
  if (c.mqtt.url !== '' && c.mqtt.topics.length === 0) throw new ConfigError('mqtt.topics must name at least one topic filter');
  const rate = c.simulator.anomalyRate;
  if (!(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
    throw new ConfigError(`simulator.anomalyRate must be in [0, 1]; got ${rate}`);
  }
  return { ...c, backend, logLevel: c.logLevel };
}

function integer(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}]; got ${v}`);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}

function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}
