import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Observer } from 'rxjs';
import type { Logger } from 'pino';
import type { App } from '../app.ts';
import type { Scope, ServerConfig } from '../config.ts';
import { HttpErrorCode } from '../errors.ts';
import { authorize, type Refusal } from './auth.ts';
import type { IngestTracker } from './ingestTracker.ts';
import type { Metrics } from './metrics.ts';
import { parseReadings } from './parseReadings.ts';

export interface ServerDeps {
  readonly app: App;
  /** Where accepted request items go: the app's ingest source. */
  readonly ingest: Observer<unknown>;
  readonly tracker: IngestTracker;
  readonly metrics: Metrics;
  readonly config: ServerConfig;
  readonly log: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * The HTTP API, not yet listening: health and readiness (open), Prometheus
 * metrics (admin), and reading ingest (ingest scope). Every refusal carries a
 * stable code; bodies are read up to the configured limit and no further.
 */
export function buildHttpServer(deps: ServerDeps): Server {
  const { app, config, metrics, tracker, log } = deps;
  const routes: Record<string, { method: string; scope: Scope | null; handle: Handler }> = {
    '/healthz': { method: 'GET', scope: null, handle: (_req, res) => send(res, 200, { status: 'ok' }) },
    '/readyz': {
      method: 'GET',
      scope: null,
      handle: (_req, res) =>
        app.ready() ? send(res, 200, { status: 'ready', streams: app.engine.table.size }) : send(res, 503, { code: HttpErrorCode.UNAVAILABLE, message: 'the pipeline is not running' }),
    },
    '/metrics': {
      method: 'GET',
      scope: 'admin',
      handle: async (_req, res) => {
        metrics.inFlight.set(tracker.inFlight);
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      },
    },
    '/api/v1/readings': {
      method: 'POST',
      scope: 'ingest',
      handle: async (req, res) => {
        if (!app.ready()) return refuse(res, { status: 503, code: HttpErrorCode.UNAVAILABLE, message: 'the pipeline is not running' });
        const body = await readBody(req, config.maxBodyBytes);
        if (typeof body !== 'string') return refuse(res, body);
        const parsed = parseReadings(body, String(req.headers['content-type'] ?? ''), config.maxBatch);
        if ('status' in parsed) return refuse(res, parsed);
        if (tracker.inFlight + parsed.items.length > config.maxInFlight) {
          res.setHeader('retry-after', '1');
          return refuse(res, { status: 429, code: HttpErrorCode.OVERLOADED, message: `${tracker.inFlight} readings are waiting to be committed; retry shortly` });
        }
        const answer = tracker.track(parsed.items, parsed.indexes, parsed.early);
        for (const item of parsed.items) deps.ingest.next(item);
        try {
          send(res, 200, await answer);
        } catch (err) {
          refuse(res, { status: 503, code: HttpErrorCode.UNAVAILABLE, message: `the readings were not committed: ${err instanceof Error ? err.message : String(err)}` });
        }
      },
    },
  };

  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes[path];
    res.on('finish', () => metrics.httpRequests.inc({ route: route === undefined ? 'unknown' : path, status: String(res.statusCode) }));
    const run = async (): Promise<void> => {
      if (route === undefined) return refuse(res, { status: 404, code: HttpErrorCode.NOT_FOUND, message: `no route ${path.slice(0, 200)}` });
      if (req.method !== route.method) {
        res.setHeader('allow', route.method);
        return refuse(res, { status: 405, code: HttpErrorCode.METHOD, message: `${path} takes ${route.method}` });
      }
      if (route.scope !== null) {
        const refusal = authorize(req.headers.authorization, route.scope, config.tokens);
        if (refusal !== null) return refuse(res, refusal);
      }
      await route.handle(req, res);
    };
    run().catch((err: unknown) => {
      log.error({ err, path }, 'request failed');
      if (!res.headersSent) send(res, 500, { code: 'FC_ERR_INTERNAL', message: 'internal error' });
      else res.destroy();
    });
  });
}

/** The body as text, or a refusal when it is larger than `limit` bytes (reading stops there). */
function readBody(req: IncomingMessage, limit: number): Promise<string | Refusal> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) {
      resolve(tooLarge(limit));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        resolve(tooLarge(limit));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function tooLarge(limit: number): Refusal {
  return { status: 413, code: HttpErrorCode.BODY_TOO_LARGE, message: `the body is larger than ${limit} bytes` };
}

function refuse(res: ServerResponse, r: Refusal): void {
  send(res, r.status, { code: r.code, message: r.message });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
