import type { WebSocket } from 'ws';
import type { Tick } from '../engine/stepTicks.ts';
import { StreamPatterns } from './streamPattern.ts';

export interface FeedLimits {
  /** Above this many bytes unsent to a client, it is behind: it gets nothing until it drains. */
  readonly softBufferBytes: number;
  /** A client behind for longer than this is closed (4008, FC_ERR_FEED_TOO_SLOW). */
  readonly maxBehindMs: number;
  readonly maxPatterns: number;
  readonly maxPatternLength: number;
}

export const FEED_CLOSE_TOO_SLOW = 4008;

interface Latest {
  text: string;
  seq: number;
}
const CATCH_UP_FRAME = 1000;

class FeedClient {
  readonly patterns = new StreamPatterns();
  alive = true;
  /** While behind: when it fell behind, and the last forecast sequence number it was sent. */
  behindSince = 0;
  cursor = 0;

  constructor(readonly ws: WebSocket) {}
}

/**
 * Live forecasts to WebSocket subscribers, by stream key or glob. Each tick
 * goes out as one frame per client, built once per distinct subscription.
 * A client that stops draining (more than `softBufferBytes` unsent) is skipped
 * at no cost until it drains; then it catches up with the latest forecast of
 * each of its streams (older ones are dropped), from a cache shared by all
 * clients. Behind for longer than `maxBehindMs`, it is closed. So a slow client
 * never slows ingest or the others, and its memory cost is bounded.
 */
export class FeedHub {
  private readonly clients = new Set<FeedClient>();
  /** The latest forecast of every stream, with its sequence number, for catch-ups; one entry per stream, updated in place. */
  private readonly latest = new Map<string, Latest>();
  private seq = 0;
  private skipped = 0;
  private readonly timers: NodeJS.Timeout[];

  constructor(private readonly limits: FeedLimits, heartbeatMs = 30_000, catchUpMs = 50) {
    this.timers = [setInterval(() => this.heartbeat(), heartbeatMs), setInterval(() => this.catchUp(), catchUpMs)];
    for (const t of this.timers) t.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Forecasts not sent to a client that was behind, because a newer one of their stream replaced them (an upper bound). */
  get dropped(): number {
    return this.skipped;
  }

  add(ws: WebSocket): void {
    const client = new FeedClient(ws);
    this.clients.add(client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
    ws.on('message', (data, isBinary) => this.control(client, data.toString(), isBinary));
  }

  /** Sends the tick's forecasts: one `{"type":"forecasts","forecasts":[…]}` frame per client. */
  publish(tick: Tick): void {
    if (this.clients.size === 0) return;
    // Parallel arrays, not entries: a stream with several readings in the tick has several texts.
    const streams: string[] = [];
    const texts: string[] = [];
    for (const o of tick.outcomes) {
      if (o.kind !== 'forecast') continue;
      let entry = this.latest.get(o.stream);
      if (entry === undefined) {
        entry = { text: '', seq: 0 };
        this.latest.set(o.stream, entry);
      }
      entry.text = JSON.stringify({ stream: o.stream, ts: o.ts, value: o.value, modelVersion: o.modelVersion, points: o.points, anomaly: o.anomaly });
      entry.seq = ++this.seq;
      streams.push(o.stream);
      texts.push(entry.text);
    }
    if (texts.length === 0) return;
    const frames = new Map<string, string | null>();
    const now = Date.now();
    for (const c of this.clients) {
      if (c.behindSince > 0) continue;
      if (c.ws.bufferedAmount >= this.limits.softBufferBytes) {
        c.behindSince = now;
        c.cursor = this.seq - texts.length;
        continue;
      }
      const sig = c.patterns.signature();
      let frame = frames.get(sig);
      if (frame === undefined) {
        const mine = matching(c, texts, streams);
        frame = mine.length === 0 ? null : frameOf(mine);
        frames.set(sig, frame);
      }
      if (frame !== null) c.ws.send(frame);
    }
  }

  /**
   * Sends alert events to the clients subscribed to their streams, as
   * `{"type":"alerts","alerts":[…]}`. Alerts are few and matter, so a client
   * that is behind gets them too (its closing rule still bounds it).
   */
  publishAlerts(events: readonly { readonly stream: string }[]): void {
    if (this.clients.size === 0 || events.length === 0) return;
    const texts = events.map((e) => JSON.stringify(e));
    const streams = events.map((e) => e.stream);
    for (const c of this.clients) {
      const mine = matching(c, texts, streams);
      if (mine.length > 0) c.ws.send(`{"type":"alerts","alerts":[${mine.join(',')}]}`);
    }
  }

  /** Sends a service event (training progress, model changes) to every client. */
  publishEvent(event: object): void {
    if (this.clients.size === 0) return;
    const text = JSON.stringify(event);
    for (const c of this.clients) c.ws.send(text);
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.clients) c.ws.close(1001, 'server stopping');
    this.clients.clear();
  }

  private catchUp(): void {
    const now = Date.now();
    for (const c of this.clients) {
      if (c.behindSince === 0) continue;
      if (c.ws.bufferedAmount >= this.limits.softBufferBytes / 2) {
        if (now - c.behindSince > this.limits.maxBehindMs) {
          // A stalled peer cannot read the close frame either: give it a second, then cut it off.
          c.ws.close(FEED_CLOSE_TOO_SLOW, 'FC_ERR_FEED_TOO_SLOW');
          this.skipped += this.seq - c.cursor; // all it was not sent while behind (an upper bound, as below)
          setTimeout(() => c.ws.terminate(), 1000).unref();
          this.clients.delete(c);
        }
        continue;
      }
      let batch: string[] = [];
      let delivered = 0;
      for (const [stream, f] of this.latest) {
        if (f.seq <= c.cursor || !c.patterns.matches(stream)) continue;
        delivered++;
        batch.push(f.text);
        if (batch.length === CATCH_UP_FRAME) {
          c.ws.send(frameOf(batch));
          batch = [];
        }
      }
      if (batch.length > 0) c.ws.send(frameOf(batch));
      // Forecasts made while it was behind, less those it now gets: an upper bound on what it missed
      // (it counts streams it does not subscribe to as well).
      this.skipped += Math.max(0, this.seq - c.cursor - delivered);
      c.cursor = this.seq;
      c.behindSince = 0;
    }
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

/** The texts whose stream (`streams[i]` for `texts[i]`) the client subscribes to. */
function matching(c: FeedClient, texts: string[], streams: readonly string[]): string[] {
  return c.patterns.matchesAll() ? texts : texts.filter((_, i) => c.patterns.matches(streams[i]));
}

function frameOf(texts: readonly string[]): string {
  return `{"type":"forecasts","forecasts":[${texts.join(',')}]}`;
}
