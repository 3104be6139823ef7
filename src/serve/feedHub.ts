import type { WebSocket } from 'ws';
import type { Tick } from '../engine/stepTicks.ts';
import { StreamPatterns } from './streamPattern.ts';

export interface FeedLimits {
  /** Above this many bytes buffered for a client, new messages wait in its backlog. */
  readonly softBufferBytes: number;
  /** A client whose backlog (latest message per stream) exceeds this many streams is closed. */
  readonly maxBacklog: number;
  readonly maxPatterns: number;
  readonly maxPatternLength: number;
}

export const FEED_CLOSE_TOO_SLOW = 4008;

class FeedClient {
  readonly patterns = new StreamPatterns();
  /** While the client is behind: the latest forecast of each stream, in first-arrival order. */
  readonly backlog = new Map<string, string>();
  /** Forecasts of the tick being published, sent as one frame at its end. */
  batch: string[] = [];
  alive = true;
  dropped = 0;

  constructor(readonly ws: WebSocket, private readonly limits: FeedLimits) {}

  offer(stream: string, text: string): void {
    if (this.backlog.size === 0 && this.ws.bufferedAmount < this.limits.softBufferBytes) {
      this.batch.push(text);
      return;
    }
    if (this.backlog.has(stream)) this.dropped++;
    this.backlog.set(stream, text);
    if (this.backlog.size > this.limits.maxBacklog) {
      this.ws.close(FEED_CLOSE_TOO_SLOW, 'FC_ERR_FEED_TOO_SLOW');
      this.backlog.clear();
    }
  }

  /** Sends what the tick gathered as one frame: a syscall per tick, not per forecast. */
  endTick(): void {
    if (this.batch.length === 0) return;
    this.ws.send(frame(this.batch));
    this.batch = [];
  }

  flush(): void {
    if (this.ws.bufferedAmount >= this.limits.softBufferBytes) return;
    const texts = [...this.backlog.values()].slice(0, 1000);
    let i = 0;
    for (const stream of this.backlog.keys()) {
      if (i++ >= texts.length) break;
      this.backlog.delete(stream);
    }
    this.ws.send(frame(texts));
  }
}

function frame(texts: readonly string[]): string {
  return `{"type":"forecasts","forecasts":[${texts.join(',')}]}`;
}

/**
 * Live forecasts to WebSocket subscribers. Each client subscribes by stream key
 * or glob; a client that falls behind keeps only the latest message per stream
 * and is closed past a limit, so a slow client never slows ingest or the others.
 */
export class FeedHub {
  private readonly clients = new Set<FeedClient>();
  private readonly timers: NodeJS.Timeout[];

  constructor(private readonly limits: FeedLimits, heartbeatMs = 30_000, flushMs = 25) {
    this.timers = [
      setInterval(() => this.heartbeat(), heartbeatMs),
      setInterval(() => {
        for (const c of this.clients) if (c.backlog.size > 0) c.flush();
      }, flushMs),
    ];
    for (const t of this.timers) t.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Messages dropped because a newer one of the same stream replaced them in a backlog. */
  get dropped(): number {
    let n = 0;
    for (const c of this.clients) n += c.dropped;
    return n;
  }

  add(ws: WebSocket): void {
    const client = new FeedClient(ws, this.limits);
    this.clients.add(client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
    ws.on('message', (data, isBinary) => this.control(client, data.toString(), isBinary));
  }

  /**
   * Sends the tick's forecasts to every client subscribed to their streams, as
   * one `{"type":"forecasts","forecasts":[…]}` frame per client and tick.
   */
  publish(tick: Tick): void {
    if (this.clients.size === 0) return;
    for (const o of tick.outcomes) {
      if (o.kind !== 'forecast') continue;
      let text: string | null = null;
      for (const c of this.clients) {
        if (!c.patterns.matches(o.stream)) continue;
        text ??= JSON.stringify({ stream: o.stream, ts: o.ts, value: o.value, modelVersion: o.modelVersion, points: o.points });
        c.offer(o.stream, text);
      }
    }
    for (const c of this.clients) c.endTick();
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.clients) c.ws.close(1001, 'server stopping');
    this.clients.clear();
  }

  private control(client: FeedClient, raw: string, isBinary: boolean): void {
    const reply = (m: unknown) => client.ws.send(JSON.stringify(m));
    if (isBinary) return reply({ type: 'error', code: 'FC_ERR_BINARY_FRAME', message: 'send JSON text frames' });
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      return reply({ type: 'error', code: 'FC_ERR_JSON_INVALID', message: 'a control message is JSON: {"type":"subscribe","streams":[...]}' });
    }
    const m = msg as { type?: unknown; streams?: unknown };
    if ((m.type !== 'subscribe' && m.type !== 'unsubscribe') || !Array.isArray(m.streams) || !m.streams.every((x) => typeof x === 'string' && x !== '')) {
      return reply({ type: 'error', code: 'FC_ERR_FEED_MESSAGE', message: 'expected {"type":"subscribe"|"unsubscribe","streams":["key or glob", ...]}' });
    }
    const streams = m.streams as string[];
    if (streams.some((x) => x.length > this.limits.maxPatternLength)) {
      return reply({ type: 'error', code: 'FC_ERR_KEY_TOO_LONG', message: `patterns are at most ${this.limits.maxPatternLength} characters` });
    }
    if (m.type === 'subscribe') {
      if (client.patterns.size + streams.length > this.limits.maxPatterns) {
        return reply({ type: 'error', code: 'FC_ERR_FEED_TOO_MANY', message: `at most ${this.limits.maxPatterns} subscriptions per client` });
      }
      for (const p of streams) client.patterns.add(p);
    } else {
      for (const p of streams) client.patterns.remove(p);
    }
    reply({ type: m.type === 'subscribe' ? 'subscribed' : 'unsubscribed', streams });
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        this.clients.delete(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }
}
