import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Subject } from 'rxjs';
import { type App, buildApp } from '../app.ts';
import type { Config } from '../config.ts';
import { buildHttpServer } from './httpServer.ts';
import { IngestTracker } from './ingestTracker.ts';
import { createMetrics } from './metrics.ts';

export interface Service {
  readonly app: App;
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
 * @throws what buildApp throws, or the listen error (port in use, …).
 */
export async function startService(config: Config, log: Logger, options: ServiceOptions = {}): Promise<Service> {
  const metrics = createMetrics();
  const ingest = new Subject<unknown>();
  const tracker = new IngestTracker();
  const app = await buildApp(config, { log, metrics, extraSource: ingest, simulate: options.simulate ?? true });
  app.committed$.subscribe((tick) => tracker.committed(tick));
  const server = buildHttpServer({ app, ingest, tracker, metrics, config: config.server, log: log.child({ component: 'http' }) });
  app.start();
  void app.done().then((err) => tracker.failAll(err instanceof Error ? err : new Error('the pipeline stopped')));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => resolve());
    });
  } catch (err) {
    await app.stop();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${host}:${port}`;
  log.info({ url, auth: config.server.tokens.length > 0 ? 'tokens' : 'open (loopback only)' }, 'HTTP API listening');
  return {
    app,
    server,
    url,
    async stop(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      ingest.complete();
      await app.stop();
    },
  };
}
