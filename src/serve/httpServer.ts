import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Observer } from 'rxjs';
import type { Logger } from 'pino';
import type { App } from '../app.ts';
import type { Scope, ServerConfig } from '../config.ts';
import { HttpErrorCode, ModelNotFoundError, ModelShapeError } from '../errors.ts';
import { authorize, type Refusal } from './auth.ts';
import type { EngineFigures } from './engineFigures.ts';
import type { IngestTracker } from './ingestTracker.ts';
import type { Metrics } from './metrics.ts';
import { parseReadings } from './parseReadings.ts';
import { isStaticPath, sendStatic } from './staticFiles.ts';
import { StoreQueries } from '../store/queries.ts';

export interface ServerDeps {
  readonly app: App;
  /** Where accepted request items go: the app's ingest source. */
  readonly ingest: Observer<unknown>;
  readonly tracker: IngestTracker;
  readonly metrics: Metrics;
  readonly figures: EngineFigures;
  readonly config: ServerConfig;
  readonly log: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * The HTTP API, not yet listening: the web page and health and readiness
 * (open), Prometheus metrics (admin), reading ingest (ingest scope), queries
 * and status (feed scope), model changes (admin). Every refusal carries a
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
    '/api/v1/streams': {
      method: 'GET',
      scope: 'feed',
      handle: (req, res) => {
        const q = query(req);
        const limit = intParam(q, 'limit', 100, 1, 10_000);
        const offset = intParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
        if (typeof limit !== 'number') return refuse(res, limit);
        if (typeof offset !== 'number') return refuse(res, offset);
        const rows = queries.streams(q.get('search'), limit, offset);
        send(res, 200, { streams: rows.map((r) => ({ ...r, inMemory: app.engine.table.slotOf(r.key) >= 0 })) });
      },
    },
    '/api/v1/alerts': {
      method: 'GET',
      scope: 'feed',
      handle: (req, res) => {
        const q = query(req);
        const limit = intParam(q, 'limit', 100, 1, 10_000);
        if (typeof limit !== 'number') return refuse(res, limit);
        send(res, 200, { alerts: queries.alerts(q.get('open') === 'true', limit) });
      },
    },
    '/api/v1/model': {
      method: 'GET',
      scope: 'feed',
      handle: (_req, res) =>
        send(res, 200, {
          live: { version: app.engine.modelVersion, spec: app.model.spec, meta: app.model.meta },
          backend: app.backend.name,
          threads: app.engine.executor.threads,
          checkpoints: app.store.checkpoints.list(),
        }),
    },
    '/api/v1/status': {
      method: 'GET',
      scope: 'feed',
      handle: (_req, res) =>
        send(res, 200, {
          backend: app.backend.name,
          threads: app.engine.executor.threads,
          streams: app.engine.table.size,
          modelVersion: app.engine.modelVersion,
          engine: deps.figures.snapshot(),
        }),
    },
    '/api/v1/model/live': {
      method: 'POST',
      scope: 'admin',
      handle: async (req, res) => {
        const body = await readBody(req, 4096);
        if (typeof body !== 'string') return refuse(res, body);
        let version: unknown;
        try {
          version = (JSON.parse(body) as { version?: unknown }).version;
        } catch {
          version = undefined;
        }
        if (!Number.isInteger(version)) return refuse(res, { status: 400, code: HttpErrorCode.JSON_INVALID, message: 'expected {"version": N}' });
        try {
          const streams = await app.setLiveModel(version as number);
          send(res, 200, { version, streams });
        } catch (err) {
          if (err instanceof ModelNotFoundError) return refuse(res, { status: 404, code: HttpErrorCode.MODEL_NOT_FOUND, message: err.message });
          if (err instanceof ModelShapeError) return refuse(res, { status: 409, code: HttpErrorCode.MODEL_SHAPE, message: err.message });
          throw err;
        }
      },
    },
    '/api/v1/model/retrain': {
      method: 'POST',
      scope: 'admin',
      handle: (_req, res) => {
        // Runs in the background (a trainer thread); progress shows in the metrics and on the feed.
        app.retrainNow().catch((err: unknown) => log.warn({ err }, 'retraining did not produce a model'));
        send(res, 202, { status: 'started' });
      },
    },
  };
  const queries = new StoreQueries(app.store.db, app.store.writer.streams);
  const streamRoute: Handler = (req, res) => {
    const m = /^\/api\/v1\/streams\/([^/]+)\/(readings|forecasts)$/.exec((req.url ?? '/').split('?')[0]);
    if (m === null) return refuse(res, { status: 404, code: HttpErrorCode.NOT_FOUND, message: 'no such route' });
    const key = decodeURIComponent(m[1]);
    const q = query(req);
    const range = timeRange(q);
    if ('status' in range) return refuse(res, range);
    let rows: unknown[] | undefined;
    if (m[2] === 'readings') rows = queries.readings(key, range);
    else {
      const horizon = q.has('horizon') ? intParam(q, 'horizon', 1, 1, 100_000) : null;
      if (horizon !== null && typeof horizon !== 'number') return refuse(res, horizon);
      rows = queries.forecasts(key, range, horizon);
    }
    if (rows === undefined) return refuse(res, { status: 404, code: HttpErrorCode.STREAM_NOT_FOUND, message: `no stream ${JSON.stringify(key.slice(0, 200))}` });
    send(res, 200, { stream: key, [m[2]]: rows });
  };

  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (isStaticPath(path) && (req.method === 'GET' || req.method === 'HEAD')) {
      res.on('finish', () => metrics.httpRequests.inc({ route: 'page', status: String(res.statusCode) }));
      return sendStatic(path, res);
    }
    const route = routes[path] ?? (path.startsWith('/api/v1/streams/') ? { method: 'GET', scope: 'feed' as Scope, handle: streamRoute } : undefined);
    // Label by route, never by stream key: keys would make the series unbounded.
    const label = routes[path] !== undefined ? path : route !== undefined ? '/api/v1/streams/:key' : 'unknown';
    res.on('finish', () => metrics.httpRequests.inc({ route: label, status: String(res.statusCode) }));
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

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number | Refusal {
  const raw = q.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) return { status: 400, code: HttpErrorCode.QUERY_INVALID, message: `${name} must be an integer in [${min}, ${max}]` };
  return n;
}

/** `from` and `to` as epoch ms or ISO 8601 (default: everything), and `limit`. */
function timeRange(q: URLSearchParams): { from: number; to: number; limit: number } | Refusal {
  const time = (name: string, fallback: number): number | Refusal => {
    const raw = q.get(name);
    if (raw === null) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    return Number.isFinite(n) ? n : { status: 400, code: HttpErrorCode.QUERY_INVALID, message: `${name} must be epoch ms or an ISO 8601 time` };
  };
  const from = time('from', 0);
  const to = time('to', Number.MAX_SAFE_INTEGER);
  const limit = intParam(q, 'limit', 1000, 1, 10_000);
  if (typeof from !== 'number') return from;
  if (typeof to !== 'number') return to;
  if (typeof limit !== 'number') return limit;
  return { from, to, limit };
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
