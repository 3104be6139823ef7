import type { WebSocket } from 'ws';
import type { TickForecasts } from '../engine/tickForecasts.ts';
import type { Tick } from '../engine/stepTicks.ts';
import { type EncodedFrame, type FeedEncoder, InlineEncoder } from './feedEncoder.ts';
import { encodeFrame, printedKeys } from './feedEncoding.ts';
import { JsonBytes } from './jsonBytes.ts';
import { LatestForecasts } from './latestForecasts.ts';
import { StreamPatterns } from './streamPattern.ts';

export interface FeedLimits {
  /** Above this many bytes unsent to a client, it is behind: it gets nothing until it drains. */
  readonly softBufferBytes: number;
  /**
   * The most a client's window grows to: above its window of bytes sent but not
   * confirmed read, it is behind too. The kernel takes tens of megabytes into a
   * socket's buffers before `bufferedAmount` grows, so a stalled client used to
   * cost that much memory and copying each; a client confirms what it has read
   * by answering a ping sent after it (TCP keeps order, and RFC 6455 requires the pong).
   */
  readonly unconfirmedBytes: number;
  /**
   * What a client may have unconfirmed before it has confirmed anything: its window starts here and
   * grows to twice what it has confirmed, up to `unconfirmedBytes`. A client that never reads is sent
   * this much and the frame that crosses it, not the whole window (100 such clients made the kernel
   * hold 390 MiB of socket buffers with the whole window; 36-183 MiB with this).
   */
  readonly initialWindowBytes: number;
  /** A client behind for longer than this is closed (4008, FC_ERR_FEED_TOO_SLOW). */
  readonly maxBehindMs: number;
  readonly maxPatterns: number;
  readonly maxPatternLength: number;
}

export const FEED_CLOSE_TOO_SLOW = 4008;

const CATCH_UP_FRAME = 1000;

interface Waiting {
  ready: boolean;
  /** Called with `frame` (null for a send that needs none). */
  send: (frame: EncodedFrame) => void;
  frame: EncodedFrame | null;
}

class FeedClient {
  readonly patterns = new StreamPatterns();
  alive = true;
  /** While behind: when it fell behind. */
  behindSince = 0;
  /** The last forecast sequence number it was sent (or caught up to). */
  cursor = 0;
  /** Bytes sent to it, and of those the ones it has confirmed reading (the payload of its last pong). */
  sent = 0;
  confirmed = 0;
  /** The payload of the ping awaiting its pong (the bytes sent before it), or null. */
  probe: string | null = null;

  constructor(readonly ws: WebSocket) {}

  send(data: string | Buffer, bytes: number): void {
    this.ws.send(data, { binary: false });
    this.sent += bytes;
  }

  /** Sends a text frame printed for this client alone. */
  sendText(text: string): void {
    this.send(text, Buffer.byteLength(text));
  }

  /** Bytes it has not confirmed reading. */
  get unconfirmed(): number {
    return this.sent - this.confirmed;
  }

  /** Pings it with the bytes sent so far; its echo confirms them (see `FeedLimits.unconfirmedBytes`). */
  probeNow(): void {
    this.probe = String(this.sent);
    this.ws.ping(this.probe);
  }
}

/**
 * Live forecasts to WebSocket subscribers, by stream key or glob. Each tick
 * goes out as one frame per client, built once per distinct subscription.
 * A client that stops draining (more than `softBufferBytes` unsent, or more
 * sent and not confirmed read than its window, which starts at
 * `initialWindowBytes` and grows with what it confirms up to `unconfirmedBytes`;
 * the first never below two frames, the full window never below three) is
 * skipped at no cost until it drains; then it catches up with the latest forecast of
 * each of its streams (older ones are dropped), from a cache shared by all
 * clients. Behind for longer than `maxBehindMs`, it is closed. So a slow client
 * never slows ingest or the others, and its memory cost is bounded.
 *
 * Frames are printed by a `FeedEncoder`, possibly on another thread, so they
 * may be ready after `publish` returns; frames, alerts and events still leave in
 * the order they were published.
 */
export class FeedHub {
  private readonly clients = new Set<FeedClient>();
  /** The latest forecast of every stream, with its sequence number, for catch-ups. */
  private readonly latest = new LatestForecasts();
  /** Where catch-up frames are printed (on this thread: catch-ups are rare). */
  private readonly catchUpBytes = new JsonBytes();
  private seq = 0;
  private skipped = 0;
  private readonly timers: NodeJS.Timeout[];
  /** The size of recent forecast frames (largest, decaying), which the limits never go below a few of. */
  private frameBytes = 0;
  /** Frames printed (or being printed) for ticks not yet committed; a tick whose commit fails is never published, and its entry goes with it. */
  private readonly prepared = new WeakMap<Tick, EncodedFrame | Promise<EncodedFrame>>();
  /** Sends waiting, in publication order, for a frame still being printed ahead of them. */
  private readonly queue: Waiting[] = [];

  private readonly encoder: FeedEncoder;

  /** `encoder` prints the frames (default: on this thread); heartbeats and catch-up checks every `heartbeatMs` and `catchUpMs`. */
  constructor(
    private readonly limits: FeedLimits,
    { heartbeatMs = 30_000, catchUpMs = 50, encoder = new InlineEncoder() }: { heartbeatMs?: number; catchUpMs?: number; encoder?: FeedEncoder } = {},
  ) {
    this.encoder = encoder;
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
    ws.on('pong', (data) => {
      client.alive = true;
      // The echo of the probe carries the bytes sent before its ping: all of those have been read. Only
      // that echo counts, not any number a client puts in a pong of its own, which would lift its bound.
      if (client.probe !== null && data.toString() === client.probe) {
        client.confirmed = Number(client.probe);
        client.probe = null;
      }
    });
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => this.clients.delete(client));
    ws.on('message', (data, isBinary) => this.control(client, data.toString(), isBinary));
  }

  /**
   * Starts printing the tick's frame before it is committed, so that printing
   * and the commit overlap instead of adding up (`publish` sends it). Nothing
   * is printed while no client is connected.
   */
  prepare(tick: Tick): void {
    if (this.clients.size > 0 && tick.forecasts.count > 0) this.prepared.set(tick, this.encoder.encode(tick.forecasts));
  }

  /** Sends the tick's forecasts: one `{"type":"forecasts","forecasts":[…]}` frame per client. */
  publish(tick: Tick): void {
    const prepared = this.prepared.get(tick);
    this.prepared.delete(tick);
    const forecasts = tick.forecasts;
    if (this.clients.size === 0 || forecasts.count === 0) return;
    const first = this.seq + 1;
    for (let j = 0; j < forecasts.count; j++) this.latest.set(forecasts, j, ++this.seq);
    const last = this.seq;
    this.inOrder(prepared ?? this.encoder.encode(forecasts), (frame) => this.sendForecasts(frame, forecasts.stream, first, last));
  }

  /** Sends forecasts [first, last] of the sequence, printed, to every client that is up to date. */
  private sendForecasts(frame: EncodedFrame, streams: readonly string[], first: number, last: number): void {
    const frames = new Map<string, { data: Buffer; bytes: number } | null>();
    const now = Date.now();
    for (const c of this.clients) {
      // Behind, or caught up past these already (a catch-up sends the latest of every stream).
      if (c.behindSince > 0 || c.cursor >= last) continue;
      const sig = c.patterns.signature();
      let f = frames.get(sig);
      if (f === undefined) {
        const data = c.patterns.matchesAll() ? frame.all() : pickFor(c, frame, streams);
        f = data === null ? null : { data, bytes: data.length };
        frames.set(sig, f);
        if (f !== null) this.frameBytes = Math.max(this.frameBytes * 0.9, f.bytes);
      }
      if (f === null) {
        c.cursor = last;
        continue;
      }
      if (c.ws.bufferedAmount >= this.softLimit() || c.unconfirmed > this.windowLimit(c)) {
        c.behindSince = now;
        c.cursor = first - 1;
        continue;
      }
      c.send(f.data, f.bytes);
      c.cursor = last;
      this.probeIfNear(c);
    }
  }

  /**
   * The limits, never below a few frames: with frames larger than the limits
   * (2.4 MB at 10,000 streams against a 1 MiB soft limit), a client that reads
   * as fast as it can would look behind whenever two frames leave back to back.
   */
  private softLimit(): number {
    return Math.max(this.limits.softBufferBytes, 2 * this.frameBytes);
  }

  /**
   * What the client may have unconfirmed: twice what it has confirmed, from the initial window up to the
   * full one (never below three frames). The initial window has no such floor: a client that never
   * reads is sent one frame past it, where three frames of 1.2 MB (10,000 streams) cost 100 such clients
   * 390 MB of kernel buffers.
   */
  private windowLimit(c: FeedClient): number {
    return Math.min(this.fullWindow(), Math.max(this.limits.initialWindowBytes, 2 * c.confirmed));
  }

  private fullWindow(): number {
    return Math.max(this.limits.unconfirmedBytes, 3 * this.frameBytes);
  }

  /**
   * Past half its window, a client is asked at once rather than at the next check, so that one that
   * reads confirms (and grows its window) within a round trip instead of being taken for behind. Below
   * that, the check's probe every `catchUpMs` is enough: a client of a few streams, whose frames are
   * small, is not pinged after every frame.
   */
  private probeIfNear(c: FeedClient): void {
    if (c.probe === null && c.unconfirmed > this.windowLimit(c) / 2) c.probeNow();
  }

  /** Runs `send` with the frame once it and everything published before it are ready. */
  private inOrder(frame: EncodedFrame | Promise<EncodedFrame>, send: (f: EncodedFrame) => void): void {
    if (!(frame instanceof Promise)) {
      this.whenReady(() => send(frame), true);
      return;
    }
    const item: Waiting = { ready: false, send, frame: null };
    this.queue.push(item);
    // The frame goes on the item, not into a closure made in this callback (`() => send(f)`):
    // that closure kept each tick's frame and forecasts, with their buffers (~50 MB a second at
    // 100,000 readings/s), until the next full collection, which V8's external-memory limit then
    // started every second. Found by elimination (the same closure made outside the promise's
    // callback did not); why V8 keeps it is not established.
    void frame.then((f) => {
      item.frame = f;
      item.ready = true;
      this.flush();
    });
  }

  /** Sends now when nothing is waiting ahead, else queues behind it. */
  private whenReady(send: () => void, ready: boolean): void {
    if (this.queue.length === 0 && ready) send();
    else this.queue.push({ ready, send, frame: null });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.queue[0].ready) {
      const item = this.queue.shift() as Waiting;
      item.send(item.frame as EncodedFrame);
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
    this.whenReady(() => {
      for (const c of this.clients) {
        const mine = matching(c, texts, streams);
        if (mine.length > 0) c.sendText(`{"type":"alerts","alerts":[${mine.join(',')}]}`);
      }
    }, true);
  }

  /** Sends a service event (training progress, model changes) to every client. */
  publishEvent(event: object): void {
    if (this.clients.size === 0) return;
    const text = JSON.stringify(event);
    const bytes = Buffer.byteLength(text);
    this.whenReady(() => {
      for (const c of this.clients) c.send(text, bytes);
    }, true);
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.encoder.close();
    for (const c of this.clients) c.ws.close(1001, 'server stopping');
    this.clients.clear();
  }

  private catchUp(): void {
    const now = Date.now();
    for (const c of this.clients) {
      // Ask every client, behind or not, to confirm what it has read so far.
      if (c.probe === null && c.confirmed < c.sent) c.probeNow();
      if (c.behindSince === 0) continue;
      if (c.ws.bufferedAmount >= this.softLimit() / 2 || c.unconfirmed > this.windowLimit(c) / 2) {
        if (now - c.behindSince > this.limits.maxBehindMs) {
          // A stalled peer cannot read the close frame either: give it a second, then cut it off.
          c.ws.close(FEED_CLOSE_TOO_SLOW, 'FC_ERR_FEED_TOO_SLOW');
          this.skipped += this.seq - c.cursor; // all it was not sent while behind (an upper bound, as below)
          setTimeout(() => c.ws.terminate(), 1000).unref();
          this.clients.delete(c);
        }
        continue;
      }
      const wanted = c.patterns.matchesAll() ? () => true : (stream: string) => c.patterns.matches(stream);
      let delivered = 0;
      for (const page of this.latest.since(c.cursor, wanted, CATCH_UP_FRAME)) {
        delivered += page.codes.length;
        const { bytes } = encodeFrame(page, printedKeys, this.catchUpBytes);
        c.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes.byteLength);
      }
      // Forecasts made while it was behind, less those it now gets: an upper bound on what it missed
      // (it counts streams it does not subscribe to as well).
      this.skipped += Math.max(0, this.seq - c.cursor - delivered);
      c.cursor = this.seq;
      c.behindSince = 0;
      this.probeIfNear(c);
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

/** The frame of the forecasts whose streams the client subscribes to, or null when none. */
function pickFor(c: FeedClient, frame: EncodedFrame, streams: readonly string[]): Buffer | null {
  const indexes: number[] = [];
  for (let i = 0; i < streams.length; i++) if (c.patterns.matches(streams[i])) indexes.push(i);
  return indexes.length === 0 ? null : frame.pick(indexes);
}
