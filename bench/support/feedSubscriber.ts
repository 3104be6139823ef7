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
/** A forecast's opening and its reading time's key, as the feed prints them. */
const FORECASTS_HEAD = Buffer.from('{"type":"forecasts"');
const STREAM = Buffer.from('{"stream":"');
const TS = Buffer.from('","ts":');
/** Each key's byte length, by stream index: the harness's keys end in their index (`…-<index>`) and need no escapes. */
const keyBytes = Int32Array.from(data.keys, (k) => Buffer.byteLength(k));
const sent: number[] = [];
const latency: number[] = [];

const ws = new WebSocket(`${data.wsUrl}/feed?token=${data.token}`);
ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', streams: ['*'] })));
ws.once('message', () => {
  ws.on('message', (frame: Buffer) => {
    const now = performance.timeOrigin + performance.now();
    // The stream and time of each forecast read from the frame's bytes, without decoding the frame
    // to text or parsing it: on this 2-core machine the harness's own reading of 1.7 MB frames (as a
    // string, with a regular expression) took a tenth of a core from the service at 100,000/s.
    if (frame.indexOf(FORECASTS_HEAD) !== 0) return;
    const measuring = Atomics.load(flags, 0) === 1;
    for (let at = frame.indexOf(STREAM); at >= 0; at = frame.indexOf(STREAM, at)) {
      const keyStart = at + STREAM.length;
      const keyEnd = frame.indexOf(TS, keyStart);
      if (keyEnd < 0) break;
      at = keyEnd + TS.length;
      const s = trailingNumber(frame, keyStart, keyEnd);
      if (s < 0 || s >= keyBytes.length || keyBytes[s] !== keyEnd - keyStart) continue;
      let ts = 0;
      for (let c = frame[at]; c >= 0x30 && c <= 0x39; c = frame[++at]) ts = ts * 10 + (c - 0x30);
      const slot = s * data.ring + (((ts - data.t0) / 60_000) % data.ring);
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

/** The decimal number that ends bytes [from, to) of `b` (the digits after its last non-digit), or -1. */
function trailingNumber(b: Buffer, from: number, to: number): number {
  let n = 0;
  let scale = 1;
  let i = to - 1;
  for (; i >= from && b[i] >= 0x30 && b[i] <= 0x39; i--, scale *= 10) n += (b[i] - 0x30) * scale;
  return i === to - 1 ? -1 : n;
}
