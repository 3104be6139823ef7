import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { merge, Subject } from 'rxjs';
import { MqttSource } from '../ingest/mqttSource.ts';
import { type App, buildApp } from '../app.ts';
import { type Config, serverUrl } from '../config.ts';
import { ListenError } from '../errors.ts';
import { EngineFigures } from './engineFigures.ts';
import { ThreadEncoder } from './feedEncoder.ts';
import { FeedHub } from './feedHub.ts';
import { buildHttpServer } from './httpServer.ts';
import { attachWebSockets } from './wsServer.ts';
import { IngestTracker } from './ingestTracker.ts';
import { createMetrics } from './metrics.ts';

export interface Service {
  readonly app: App;
  readonly hub: FeedHub;
  readonly server: Server;
  /** Where the HTTP API listens, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Stops taking requests, lets the pipeline finish, saves state, closes the store. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Run the built-in simulator beside the HTTP ingest (default true). */
  readonly simulate?: boolean;
}

/**
 * The whole service: the app (engine, store, simulator) fed also by the HTTP
 * ingest, and the HTTP API listening on the configured host and port.
 * @throws what buildApp throws, or ListenError (port in use, …).
 */
export async function startService(config: Config, log: Logger, options: ServiceOptions = {}): Promise<Service> {
  const metrics = createMetrics();
  const ingest = new Subject<unknown>();
  const tracker = new IngestTracker();
  const mqtt = config.mqtt.url === '' ? null : new MqttSource({ ...config.mqtt, maxPayloadBytes: 64 * 1024, log: log.child({ component: 'mqtt' }) });
  const extra = mqtt === null ? ingest : merge(ingest, mqtt.readings());
  const app = await buildApp(config, { log, metrics, extraSource: extra, simulate: options.simulate ?? true });
  app.committed$.subscribe((tick) => tracker.committed(tick));
  if (mqtt !== null) app.committed$.subscribe((tick) => mqtt.committed(tick));
  const figures = new EngineFigures();
  app.committed$.subscribe((tick) => figures.record(tick));
  app.training$.subscribe((e) => figures.training(e));
  const server = buildHttpServer({ app, ingest, tracker, metrics, figures, config: config.server, log: log.child({ component: 'http' }) });
  const hub = new FeedHub(
    {
      softBufferBytes: config.server.feedSoftBufferBytes,
      unconfirmedBytes: config.server.feedUnconfirmedBytes,
      initialWindowBytes: config.server.feedInitialWindowBytes,
      maxBehindMs: config.server.feedMaxBehindMs,
      maxPatterns: 1000,
      maxPatternLength: config.engine.maxKeyLength,
    },
    { encoder: new ThreadEncoder(log.child({ component: 'feed' })) },
  );
  app.stepped$.subscribe((tick) => hub.prepare(tick));
  app.committed$.subscribe((tick) => hub.publish(tick));
  app.alerts$.subscribe((events) => {
    hub.publishAlerts(events);
    metrics.alerts.inc(events.filter((e) => e.status === 'firing').length);
    if (mqtt !== null && config.alerts.mqttTopic !== '') mqtt.publishAlerts(config.alerts.mqttTopic, events);
  });
  const trainingRuns = new Counter({ name: 'forecaster_training_runs_total', help: 'Retraining runs, by outcome (promoted, kept, failed)', labelNames: ['outcome'], registers: [metrics.registry] });
  const trainingEpoch = new Gauge({ name: 'forecaster_training_epoch', help: 'Epoch of the retraining run in progress (0: none)', registers: [metrics.registry] });
  const trainingNll = new Gauge({ name: 'forecaster_training_valid_nll', help: 'Held-back NLL of the last retraining epoch', registers: [metrics.registry] });
  new Gauge({ name: 'forecaster_model_version', help: 'The live model version', registers: [metrics.registry], collect() { this.set(app.engine.modelVersion); } });
  new Gauge({ name: 'forecaster_engine_queue', help: 'Ticks (and snapshot, eviction or model-switch work) waiting for the engine, the one in progress included', registers: [metrics.registry], collect() { this.set(app.engine.queueDepth); } });
  app.training$.subscribe((e) => {
    hub.publishEvent(e);
    if (e.phase === 'epoch') {
      trainingEpoch.set(e.epoch);
      trainingNll.set(e.validNll);
    } else {
      trainingEpoch.set(0);
      trainingRuns.inc({ outcome: e.phase === 'failed' ? 'failed' : e.promoted ? 'promoted' : 'kept' });
    }
  });
  new Gauge({ name: 'forecaster_feed_clients', help: 'WebSocket feed subscribers connected', registers: [metrics.registry], collect() { this.set(hub.size); } });
  new Gauge({ name: 'forecaster_feed_dropped_messages', help: 'Feed messages replaced by newer ones of the same stream while their client was behind', registers: [metrics.registry], collect() { this.set(hub.dropped); } });
  const closeSockets = attachWebSockets(server, { app, ingest, tracker, hub, config: config.server, log: log.child({ component: 'ws' }) });
  app.start();
  void app.done().then((err) => tracker.failAll(err instanceof Error ? err : new Error('the pipeline stopped')));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => resolve());
    });
  } catch (err) {
    hub.close();
    closeSockets();
    await app.stop();
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    throw new ListenError(`cannot listen on ${config.server.host}:${config.server.port} (${code || (err instanceof Error ? err.message : String(err))}); choose another with --port`, { cause: err });
  }
  const { port } = server.address() as AddressInfo;
  const url = serverUrl(config.server.host, port);
  const tokens = config.server.tokens.length > 0;
  log.info({ url, auth: tokens ? 'tokens' : 'open (loopback only)' }, `HTTP API listening; the live page is at ${url}/${tokens ? '?token=<a feed-scope token>' : ''}`);
  return {
    app,
    hub,
    server,
    url,
    async stop(): Promise<void> {
      closeSockets();
      hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      ingest.complete();
      await app.stop();
    },
  };
}
