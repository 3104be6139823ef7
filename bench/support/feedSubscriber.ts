/**
 * The bench's feed subscriber, on a thread of its own: a dashboard is not in
 * its producers' process, and on one event loop with four paced producers the
 * subscriber read each frame only after whatever producer work was queued
 * ahead of it. Takes every forecast of `wsUrl`'s feed and, while `flags[0]`
 * is 1, measures the time from its reading's send (the producers' `sentAt`,
 * shared) to its arrival; clears `sentAt` as it goes. On 'stop', replies with
 * every measured (sentAt, latency) pair.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';

interface SubscriberData {
  readonly wsUrl: string;
  readonly token: string;
  readonly keys: readonly string[];
  readonly ring: number;
  readonly t0: number;
  /** When each reading was sent (epoch ms, performance.timeOrigin + now), by stream × ring + round % ring. */
  readonly sentAt: SharedArrayBuffer;
  /** [0]: 1 while measuring. */
  readonly flags: SharedArrayBuffer;
}

const data = workerData as SubscriberData;
const sentAt = new Float64Array(data.sentAt);
const flags = new Int32Array(data.flags);
const indexOf = new Map(data.keys.map((k, i) => [k, i]));
/** A forecast's stream and reading time as the feed prints them (the bench's keys need no escapes). */
const FORECAST_ID = /\{"stream":"([^"\\]*)","ts":(\d+),/g;
const sent: number[] = [];
const latency: number[] = [];

const ws = new WebSocket(`${data.wsUrl}/feed?token=${data.token}`);
ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', streams: ['*'] })));
ws.once('message', () => {
  ws.on('message', (frame: Buffer) => {
    const now = performance.timeOrigin + performance.now();
    // The stream and time of each forecast from the frame's text rather than JSON.parse of every
    // forecast: on this 2-core machine the harness's own parsing took a core's fifth from the service.
    const text = frame.toString();
    if (!text.startsWith('{"type":"forecasts"')) return;
    const measuring = Atomics.load(flags, 0) === 1;
    for (const m of text.matchAll(FORECAST_ID)) {
      const s = indexOf.get(m[1]);
      if (s === undefined) continue;
      const slot = s * data.ring + (((Number(m[2]) - data.t0) / 60_000) % data.ring);
      const t = sentAt[slot];
      if (Number.isNaN(t)) continue;
      if (measuring) {
        sent.push(t);
        latency.push(now - t);
      }
      sentAt[slot] = Number.NaN;
    }
  });
  parentPort?.postMessage('ready');
});
parentPort?.on('message', (m: string) => {
  if (m !== 'stop') return;
  ws.close();
  parentPort?.postMessage({ sent: Float64Array.from(sent), latency: Float64Array.from(latency) });
});
