import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { Forecast, Outcome } from '../../src/engine/reading.ts';
import { type Tick, tickOf } from '../../src/engine/stepTicks.ts';
import { pino } from 'pino';
import { type FeedEncoder, InlineEncoder, ThreadEncoder } from '../../src/serve/feedEncoder.ts';
import { FEED_CLOSE_TOO_SLOW, FeedHub } from '../../src/serve/feedHub.ts';

const STREAMS = 2000;
// Long keys make each tick ~1 MB, so a stalled peer fills the loopback socket buffers within a few dozen ticks.
const key = (i: number) => `site-${i % 10}/${'x'.repeat(400)}/sensor-${i}`;

function tick(n: number): Tick {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const f: Forecast = { kind: 'forecast', stream: key(i), ts: n, value: i, modelVersion: 1, prior: null, anomaly: { score: 0, likelihood: 0 }, points: [{ horizon: 1, ts: n + 1, mean: 0, scale: 1, lower: -2, upper: 2 }] };
    outcomes.push(f);
  }
  return tickOf(outcomes, outcomes.map(() => ({})));
}

interface Rig {
  hub: FeedHub;
  server: Server;
  url: string;
  serverSockets: WebSocket[];
  /** The TCP sockets under them, in the same order. */
  tcp: Socket[];
}
let rig: Rig | null = null;

/** Frames printed on this thread, or on the encoder's own (started before the hub takes ticks). */
const encoders: [string, () => Promise<FeedEncoder>][] = [
  ['printed on this thread', async () => new InlineEncoder()],
  [
    'printed on the encoder thread',
    async () => {
      const enc = new ThreadEncoder(pino({ level: 'silent' }));
      expect(await enc.ready).toBe(true);
      return enc;
    },
  ],
];
let makeEncoder: () => Promise<FeedEncoder> = encoders[0][1];

async function start(limits: { softBufferBytes: number; maxBehindMs: number; unconfirmedBytes?: number; initialWindowBytes?: number }, catchUpMs = 20): Promise<Rig> {
  // Heartbeats far apart, so only the too-slow rule can close a client here.
  const hub = new FeedHub(
    { unconfirmedBytes: 1 << 30, initialWindowBytes: 1 << 30, ...limits, maxPatterns: 10, maxPatternLength: 100 },
    { heartbeatMs: 600_000, catchUpMs, encoder: await makeEncoder() },
  );
  const server = createServer();
  const tcp: Socket[] = [];
  server.on('upgrade', (_req, socket: Socket) => tcp.push(socket));
  const wss = new WebSocketServer({ server });
  const serverSockets: WebSocket[] = [];
  wss.on('connection', (ws) => {
    serverSockets.push(ws);
    hub.add(ws);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rig = { hub, server, url, serverSockets, tcp };
  return rig;
}

async function subscriber(url: string, streams = ['*']): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  ws.send(JSON.stringify({ type: 'subscribe', streams }));
  await new Promise((r) => ws.once('message', r));
  return ws;
}

/** Counts the forecasts a client receives, and the reading time of the last frame's first one. */
function tally(ws: WebSocket): { received: number; last: number } {
  const seen = { received: 0, last: 0 };
  ws.on('message', (data: Buffer) => {
    const forecasts = (JSON.parse(data.toString()) as { forecasts: { ts: number }[] }).forecasts;
    seen.received += forecasts.length;
    seen.last = forecasts[0].ts;
  });
  return seen;
}

afterEach(async () => {
  if (rig === null) return;
  rig.hub.close();
  for (const s of rig.serverSockets) s.terminate();
  await new Promise((r) => rig?.server.close(r));
  rig = null;
});

describe.each(encoders)('FeedHub, frames %s', (_, encoder) => {
  beforeEach(() => {
    makeEncoder = encoder;
  });

  it('sends frames, alerts and events in the order they were published', async () => {
    const { hub, url } = await start({ softBufferBytes: 64 * 1024 * 1024, maxBehindMs: 60_000 });
    const client = await subscriber(url);
    const got: string[] = [];
    client.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; forecasts?: { ts: number }[]; alerts?: { n: number }[]; n?: number };
      got.push(m.type === 'forecasts' ? `f${m.forecasts?.[0].ts}` : m.type === 'alerts' ? `a${m.alerts?.[0].n}` : `e${m.n}`);
    });
    const expected: string[] = [];
    for (let t = 1; t <= 6; t++) {
      hub.publish(tick(t));
      const alert = { stream: key(0), n: t };
      hub.publishAlerts([alert]);
      hub.publishEvent({ type: 'training', n: t });
      expected.push(`f${t}`, `a${t}`, `e${t}`);
    }
    await new Promise<void>((resolve) => {
      const check = () => (got.length >= expected.length ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(got).toEqual(expected);
    client.close();
  });

  it('sends a prepared tick only once it is published, and never one that is not', async () => {
    const { hub, url } = await start({ softBufferBytes: 64 * 1024 * 1024, maxBehindMs: 60_000 });
    const client = await subscriber(url);
    const got: number[] = [];
    client.on('message', (data: Buffer) => got.push((JSON.parse(data.toString()) as { forecasts: { ts: number }[] }).forecasts[0].ts));
    const ticks = [1, 2, 3].map(tick);
    // Printed while "the store commits": nothing may reach the client before publish.
    for (const t of ticks) hub.prepare(t);
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([]);
    // Tick 2's commit "failed": it is never published, and the others go out in order.
    hub.publish(ticks[0]);
    hub.publish(ticks[2]);
    await new Promise<void>((resolve) => {
      const check = () => (got.length >= 2 ? resolve() : setTimeout(check, 10));
      check();
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([1, 3]);
    client.close();
  });

  it('sends a tick that was not prepared in its place, before the prepared ones after it', async () => {
    const { hub, url } = await start({ softBufferBytes: 64 * 1024 * 1024, maxBehindMs: 60_000 });
    const client = await subscriber(url);
    const got: number[] = [];
    client.on('message', (data: Buffer) => got.push((JSON.parse(data.toString()) as { forecasts: { ts: number }[] }).forecasts[0].ts));
    const ticks = [1, 2, 3, 4].map(tick);
    // Tick 2 stepped while no client was connected, say: only 1, 3 and 4 are printed ahead.
    hub.prepare(ticks[0]);
    hub.prepare(ticks[2]);
    hub.prepare(ticks[3]);
    for (const t of ticks) hub.publish(t);
    await new Promise<void>((resolve) => {
      const check = () => (got.length >= 4 ? resolve() : setTimeout(check, 10));
      check();
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([1, 2, 3, 4]);
    client.close();
  });

  it('sends a narrower subscription only its streams, whole and exact', async () => {
    const { hub, url } = await start({ softBufferBytes: 64 * 1024 * 1024, maxBehindMs: 60_000 });
    const client = await subscriber(url, ['site-3/*']);
    const frames: { stream: string; ts: number; points: unknown[] }[][] = [];
    client.on('message', (data: Buffer) => frames.push((JSON.parse(data.toString()) as { forecasts: { stream: string; ts: number; points: unknown[] }[] }).forecasts));
    hub.publish(tick(7));
    await new Promise<void>((resolve) => {
      const check = () => (frames.length > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    const mine = tick(7).outcomes.filter((o) => o.kind === 'forecast' && o.stream.startsWith('site-3/')) as Forecast[];
    expect(frames[0]).toEqual(mine.map((f) => ({ stream: f.stream, ts: f.ts, value: f.value, modelVersion: f.modelVersion, points: f.points, anomaly: f.anomaly })));
    client.close();
  });

  it('keeps serving the others in full, bounds what it holds for the stalled one, then closes it', async () => {
    const { hub, url, serverSockets } = await start({ softBufferBytes: 256 * 1024, maxBehindMs: 500 });
    const fast = await subscriber(url);
    const stalled = await subscriber(url);
    const stalledOnServer = serverSockets[1];
    stalled.pause(); // stops reading its socket: the kernel buffers fill, then the server's send buffer grows
    let received = 0;
    fast.on('message', (data: Buffer) => {
      received += (JSON.parse(data.toString()) as { forecasts: unknown[] }).forecasts.length;
    });
    let stalledClosedAt = 0;
    stalledOnServer.once('close', () => (stalledClosedAt = Date.now()));

    let published = 0;
    let maxBuffered = 0;
    let behindAt = 0;
    const frameBytes = JSON.stringify(tick(0).outcomes).length;
    const deadline = Date.now() + 20_000;
    while (stalledClosedAt === 0 && Date.now() < deadline) {
      hub.publish(tick(published + 1));
      published++;
      maxBuffered = Math.max(maxBuffered, stalledOnServer.bufferedAmount);
      if (behindAt === 0 && stalledOnServer.bufferedAmount >= 256 * 1024) behindAt = Date.now();
      // Let the fast client drain between ticks, as a live service does between its ticks. Frames here
      // (~1 MB) are four times the soft limit: the limit scales to two frames, so a reader that keeps up
      // is never taken for behind when frames leave back to back (it was, before: this test failed).
      // The next tick waits until the fast client has read this one: it runs in this process, and on a
      // loaded machine a fixed pause let it fall two frames behind, which the hub rightly treats as
      // behind (it then gets the latest of each stream, not every forecast, and this test hung).
      while (received < published * STREAMS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(stalledClosedAt).toBeGreaterThan(0);
    expect(stalledClosedAt - behindAt).toBeGreaterThanOrEqual(500);
    expect(hub.size).toBe(1);
    // What the server ever held for the stalled client: at most the soft limit (never below two frames)
    // plus the one frame that crossed it.
    expect(maxBuffered).toBeLessThanOrEqual(Math.max(256 * 1024, 2 * frameBytes) * 1.1 + frameBytes * 1.1);
    // The reading client got every forecast of every tick.
    await new Promise<void>((resolve) => {
      const check = () => (received >= published * STREAMS ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(received).toBe(published * STREAMS);
    expect(hub.dropped).toBeGreaterThan(0);
    fast.close();
    stalled.terminate();
  }, 30_000);

  it('sends a client that stops reading no more than its unconfirmed window, however much the kernel would take', async () => {
    // A few frames: a client that reads confirms within a probe or two, so it never reaches it.
    const WINDOW = 4 * 1024 * 1024;
    // A send buffer limit far out of reach: only what the client confirmed reading can hold it back.
    const { hub, url, tcp } = await start({ softBufferBytes: 1 << 30, unconfirmedBytes: WINDOW, maxBehindMs: 60_000 });
    const reading = await subscriber(url);
    const stalled = await subscriber(url);
    stalled.pause();
    let received = 0;
    reading.on('message', (data: Buffer) => {
      received += (JSON.parse(data.toString()) as { forecasts: unknown[] }).forecasts.length;
    });
    const frameBytes = Buffer.byteLength(JSON.stringify(tick(0).outcomes));
    const TICKS = 40; // ~40 MB to each client
    for (let t = 1; t <= TICKS; t++) {
      // The stalled one claims, in pongs of its own, to have read far more than it was sent: only the
      // echo of the server's own ping may confirm anything.
      stalled.pong(String(1e12));
      stalled.pong(String(t * frameBytes));
      hub.publish(tick(t));
      // The reader reads each tick before the next (as above: a fixed pause alone let it fall a window
      // behind on a loaded machine), then has time to confirm it.
      while (received < t * STREAMS) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise<void>((resolve) => {
      const check = () => (received >= TICKS * STREAMS ? resolve() : setTimeout(check, 10));
      check();
    });
    // The reader confirmed as it read, so it never fell behind and got every forecast.
    expect(received).toBe(TICKS * STREAMS);
    // The stalled one was sent its window and the frame that crossed it, not the ~40 MB the kernel would take.
    expect(tcp[1].bytesWritten).toBeLessThan(WINDOW + 2 * frameBytes);
    expect(tcp[0].bytesWritten).toBeGreaterThan(TICKS * frameBytes * 0.9);
    reading.close();
    stalled.terminate();
  }, 30_000);

  it('sends a client that never reads only its initial window, and grows the window of one that reads', async () => {
    const INITIAL = 4 * 1024 * 1024;
    const WINDOW = 16 * 1024 * 1024;
    const { hub, url, tcp } = await start({ softBufferBytes: 1 << 30, unconfirmedBytes: WINDOW, initialWindowBytes: INITIAL, maxBehindMs: 60_000 });
    const reading = await subscriber(url);
    const stalled = await subscriber(url);
    stalled.pause();
    const seen = tally(reading);
    const frameBytes = Buffer.byteLength(JSON.stringify(tick(0).outcomes));
    // Sends tick after tick while the reader reads them, until the reader has been sent more than the
    // full window: it must have confirmed what it read as it went, or it would have been taken for behind.
    let t = 0;
    while (tcp[0].bytesWritten < 2 * WINDOW) {
      hub.publish(tick(++t));
      while (seen.last < t) await new Promise((r) => setTimeout(r, 1));
    }
    // Then a burst of ticks, published back to back, larger than the initial window but within the full
    // one: only a window grown past its start takes it.
    const BURST = Math.floor((WINDOW - 3 * frameBytes) / frameBytes);
    expect(BURST * frameBytes).toBeGreaterThan(INITIAL + 3 * frameBytes);
    for (let i = 0; i < BURST; i++) hub.publish(tick(++t));
    // Taken for behind, it would get the latest of each stream instead, and never all of them.
    const deadline = Date.now() + 10_000;
    while (seen.received < t * STREAMS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen.received).toBe(t * STREAMS);
    expect(hub.dropped).toBe(0);
    // The stalled one was sent its initial window and the frame that crossed it.
    expect(tcp[1].bytesWritten).toBeGreaterThan(INITIAL);
    expect(tcp[1].bytesWritten).toBeLessThan(INITIAL + 2 * frameBytes);
    reading.close();
    stalled.terminate();
  }, 30_000);

  it('asks a reader near its window to confirm at once, not at the next periodic check', async () => {
    // Checks 10 s apart: only a probe sent with the frames can confirm them within this test.
    const { hub, url } = await start({ softBufferBytes: 1 << 30, unconfirmedBytes: 64 * 1024 * 1024, initialWindowBytes: 256 * 1024, maxBehindMs: 60_000 }, 10_000);
    const reading = await subscriber(url);
    const seen = tally(reading);
    // Each ~1 MB frame is past the 256 KiB window the client starts with; the next tick goes once the
    // reader has read this one and had a moment to answer the ping sent after it.
    const TICKS = 10;
    const deadline = Date.now() + 5000;
    for (let t = 1; t <= TICKS && Date.now() < deadline; t++) {
      hub.publish(tick(t));
      while (seen.last < t && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setTimeout(r, 20));
    }
    // Taken for behind at any tick, it would have been skipped until the next check, 10 s away.
    expect(seen.received).toBe(TICKS * STREAMS);
    expect(hub.dropped).toBe(0);
    reading.close();
  }, 30_000);

  it('does not ping a client after every frame while its frames are far below its window', async () => {
    const { hub, url } = await start({ softBufferBytes: 1 << 30, unconfirmedBytes: 64 * 1024 * 1024, initialWindowBytes: 256 * 1024, maxBehindMs: 60_000 }, 10_000);
    const one = await subscriber(url, ['site-0/*/sensor-0']);
    let received = 0;
    let pings = 0;
    one.on('message', () => received++);
    one.on('ping', () => pings++);
    const TICKS = 30; // one forecast of ~600 bytes each: 18 KB in all, against a window of 256 KiB
    for (let t = 1; t <= TICKS; t++) {
      hub.publish(tick(t));
      await new Promise((r) => setTimeout(r, 2));
    }
    const deadline = Date.now() + 5000;
    while (received < TICKS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(received).toBe(TICKS);
    expect(pings).toBe(0);
    one.close();
  }, 30_000);

  it('lets a client that falls behind and recovers catch up with the latest forecast of each stream', async () => {
    const { hub, url, serverSockets } = await start({ softBufferBytes: 256 * 1024, maxBehindMs: 60_000 });
    const slow = await subscriber(url);
    const onServer = serverSockets[0];
    slow.pause();
    let published = 0;
    while (onServer.bufferedAmount < 256 * 1024) {
      hub.publish(tick(++published));
      await new Promise((r) => setTimeout(r, 1));
    }
    // Behind now: more ticks go by that it is not sent one by one.
    for (let i = 0; i < 5; i++) hub.publish(tick(++published));
    const latestTs = new Map<string, number>();
    slow.on('message', (data: Buffer) => {
      for (const f of (JSON.parse(data.toString()) as { forecasts: { stream: string; ts: number }[] }).forecasts) {
        expect(f.ts).toBeGreaterThanOrEqual(latestTs.get(f.stream) ?? 0); // never older than what it already has
        latestTs.set(f.stream, f.ts);
      }
    });
    slow.resume();
    await new Promise<void>((resolve) => {
      const check = () => ([...latestTs.values()].filter((ts) => ts === published).length === STREAMS ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(latestTs.size).toBe(STREAMS);
    expect(hub.size).toBe(1);
    expect(FEED_CLOSE_TOO_SLOW).toBe(4008);
    slow.close();
  }, 30_000);
});
