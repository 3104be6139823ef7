import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Observer } from 'rxjs';
import { type WebSocket, WebSocketServer } from 'ws';
import type { App } from '../app.ts';
import type { Scope, ServerConfig } from '../config.ts';
import { HttpErrorCode, RejectCode } from '../errors.ts';
import { authorize } from './auth.ts';
import type { FeedHub } from './feedHub.ts';
import type { IngestTracker } from './ingestTracker.ts';
import { batchFromValue } from './parseReadings.ts';

export interface WsDeps {
  readonly app: App;
  readonly ingest: Observer<unknown>;
  readonly tracker: IngestTracker;
  readonly hub: FeedHub;
  readonly config: ServerConfig;
  readonly log: Logger;
}

const PATHS: Record<string, Scope> = { '/ingest': 'ingest', '/feed': 'feed' };

/**
 * WebSocket endpoints on the HTTP server: `/ingest` (readings in, one answer per
 * message after commit) and `/feed` (forecasts out, by subscription). The token
 * comes in the Authorization header or, for browsers, as `?token=`.
 * Returns a function that closes them.
 */
export function attachWebSockets(server: Server, deps: WsDeps): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.config.maxBodyBytes });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const scope = PATHS[url.pathname];
    if (scope === undefined) return reject(socket, 404, HttpErrorCode.NOT_FOUND, `no WebSocket endpoint ${url.pathname.slice(0, 200)}`);
    const token = url.searchParams.get('token');
    const refusal = authorize(req.headers.authorization ?? (token === null ? undefined : `Bearer ${token}`), scope, deps.config.tokens);
    if (refusal !== null) return reject(socket, refusal.status, refusal.code, refusal.message);
    wss.handleUpgrade(req, socket, head, (ws) => (scope === 'feed' ? deps.hub.add(ws) : ingestConnection(ws, deps)));
  });
  return () => {
    for (const ws of wss.clients) ws.close(1001, 'server stopping');
    wss.close();
  };
}

function ingestConnection(ws: WebSocket, deps: WsDeps): void {
  const { tracker, config } = deps;
  /** Streams this connection has written: a producer gets at most maxStreamsPerConnection. */
  const streams = new Set<string>();
  const send = (m: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => {
    if (isBinary) return send({ type: 'error', code: 'FC_ERR_BINARY_FRAME', message: 'send readings as JSON text frames' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch (err) {
      return send({ type: 'error', code: HttpErrorCode.JSON_INVALID, message: `the message is not JSON: ${err instanceof Error ? err.message : String(err)}` });
    }
    // {"id": …, "readings": [...]} carries an id echoed in the answer; a bare reading or array works too.
    const envelope = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'readings' in parsed ? (parsed as { id?: unknown; readings: unknown }) : null;
    const id = envelope !== null && (typeof envelope.id === 'string' || typeof envelope.id === 'number') ? envelope.id : null;
    const batch = batchFromValue(envelope !== null ? envelope.readings : parsed, config.maxBatch);
    if ('status' in batch) return send({ type: 'error', id, code: batch.code, message: batch.message });
    if (!deps.app.ready()) return send({ type: 'error', id, code: HttpErrorCode.UNAVAILABLE, message: 'the pipeline is not running' });
    const items: object[] = [];
    const indexes: number[] = [];
    batch.items.forEach((item, k) => {
      const key = (item as { stream?: unknown }).stream;
      if (typeof key === 'string' && !streams.has(key)) {
        if (streams.size >= config.maxStreamsPerConnection) {
          batch.early.push({ index: batch.indexes[k], code: RejectCode.TOO_MANY_STREAMS, message: `this connection already writes ${streams.size} streams; the limit is ${config.maxStreamsPerConnection}` });
          return;
        }
        streams.add(key);
      }
      items.push(item);
      indexes.push(batch.indexes[k]);
    });
    tracker
      .track(items, indexes, batch.early)
      .then((r) => send({ type: 'ack', id, ...r }))
      .catch((err: unknown) => send({ type: 'error', id, code: HttpErrorCode.UNAVAILABLE, message: `not committed: ${err instanceof Error ? err.message : String(err)}` }));
    for (const item of items) deps.ingest.next(item);
    // Backpressure: stop reading from this producer while too much waits for commit.
    if (tracker.inFlight > config.maxInFlight) pauseUntilDrained(ws, tracker, config.maxInFlight);
  });
}

function pauseUntilDrained(ws: WebSocket, tracker: IngestTracker, limit: number): void {
  ws.pause();
  const check = setInterval(() => {
    if (tracker.inFlight <= limit / 2 || ws.readyState !== ws.OPEN) {
      clearInterval(check);
      ws.resume();
    }
  }, 5);
}

function reject(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ code, message });
  socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 403 ? 'Forbidden' : 'Unauthorized'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
