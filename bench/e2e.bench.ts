/**
 * End to end on this machine: the service runs as its own process (wasm backend,
 * SQLite, HTTP/WebSocket on 127.0.0.1); WebSocket producers in this process send
 * readings for 10,000 streams as fast as acknowledgements allow, and one feed
 * subscriber takes every forecast. Measures sustained committed readings/s, and
 * p50/p99 latency from a reading being sent to its forecast reaching the
 * subscriber; beside the engine alone in this process, in the same run.
 * Last line: one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { loadModel } from '../src/app.ts';
import { createBackendRegistry } from '../src/backend/backendRegistry.ts';
import { selectBackend } from '../src/backend/selectBackend.ts';
import { DEFAULT_MODEL_PATH, loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/buildEngine.ts';

const STREAMS = 10_000;
const PRODUCERS = 4;
const BATCH = 500;
const WINDOW = Number(process.env.BENCH_WINDOW ?? 8); // unacknowledged messages per producer
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TOKEN = 'bench-token-0123456789abcdef';
const BIN = fileURLToPath(new URL('../bin/forecaster.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'forecaster-e2e-'));
const log = pino({ level: 'warn' });

// 1. The engine alone, in this process: 10,000 streams, ticks of 4,096.
const config = loadConfig({}, {});
const backend = await selectBackend(config.backend, createBackendRegistry(), log);
const engine = await createEngine(loadModel(DEFAULT_MODEL_PATH), config.engine, backend.name, log);
let clock = Date.UTC(2026, 0, 1);
const keys = Array.from({ length: STREAMS }, (_, i) => `plant-${i % 100}/sensor-${i}`);
let cursor = 0;
const tick = (n: number) => {
  clock += 1;
  return Array.from({ length: n }, () => ({ stream: keys[cursor++ % STREAMS], ts: clock + Math.floor(cursor / STREAMS) * 1000, value: Math.sin(cursor) }));
};
for (let i = 0; i < 5; i++) engine.step(tick(4096));
let steps = 0;
const engineStart = performance.now();
while (performance.now() - engineStart < 3000) steps += engine.step(tick(4096)).count;
const engineOnly = steps / ((performance.now() - engineStart) / 1000);
engine.dispose();
process.stdout.write(`engine only        ${fmt(engineOnly)} steps/s (${backend.name}, ${STREAMS} streams, ticks of 4096)\n`);

// 2. The service, as its own process.
const child = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : []), BIN, 'run', '--port', '0', '--db', join(dir, 'e2e.db'), '--stats-interval', '0', '--log-level', 'info'], {
  env: { ...process.env, FORECASTER_TOKENS: `${TOKEN}:ingest,feed`, FORECASTER_SIM_STREAMS: '1', FORECASTER_SIM_TICK_MS: '3600000' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
    if (m) resolve(m[1]);
  });
  child.once('exit', (code) => reject(new Error(`service exited (${code})`)));
});
const wsUrl = url.replace('http', 'ws');
const open = (path: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}${path}?token=${TOKEN}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });

// The subscriber: every forecast, latency from the send time of its reading.
const sentAt = new Map<string, number>();
const latencies: number[] = [];
const feed = await open('/feed');
await new Promise<void>((resolve) => {
  feed.once('message', () => resolve());
  feed.send(JSON.stringify({ type: 'subscribe', streams: ['*'] }));
});
let measuring = false;
feed.on('message', (data) => {
  const now = performance.now();
  const frame = JSON.parse(data.toString()) as { forecasts?: { stream: string; ts: number }[] };
  for (const f of frame.forecasts ?? []) {
    const key = `${f.stream}@${f.ts}`;
    const t = sentAt.get(key);
    if (t === undefined) continue;
    if (measuring) latencies.push(now - t);
    sentAt.delete(key);
  }
});

// Producers: each owns STREAMS / PRODUCERS streams, sends batches, keeps WINDOW unacknowledged.
let committed = 0;
let rejected = 0;
let stop = false;
const producers = await Promise.all(Array.from({ length: PRODUCERS }, () => open('/ingest')));
const per = STREAMS / PRODUCERS;
const runs = producers.map(
  (ws, p) =>
    new Promise<void>((resolve) => {
      let inFlight = 0;
      let round = 0;
      let offset = 0;
      const send = () => {
        while (!stop && inFlight < WINDOW) {
          const batch = [];
          const now = performance.now();
          for (let i = 0; i < BATCH; i++) {
            const stream = keys[p * per + offset];
            const ts = Date.UTC(2026, 1, 1) + round * 60_000;
            batch.push({ stream, ts, value: Math.sin(round / 10 + offset) * 10 + 20 });
            sentAt.set(`${stream}@${ts}`, now);
            if (++offset === per) {
              offset = 0;
              round++;
            }
          }
          ws.send(JSON.stringify(batch));
          inFlight++;
        }
        if (stop && inFlight === 0) resolve();
      };
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { accepted?: number; rejected?: number };
        if (measuring) {
          committed += m.accepted ?? 0;
          rejected += m.rejected ?? 0;
        }
        inFlight--;
        send();
      });
      send();
    }),
);
// Warm up 2 s, then measure.
await new Promise((r) => setTimeout(r, 2000));
measuring = true;
const started = performance.now();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
measuring = false;
const elapsed = (performance.now() - started) / 1000;
stop = true;
await Promise.all(runs);
const rate = committed / elapsed;
latencies.sort((a, b) => a - b);
const q = (f: number) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? NaN;
process.stdout.write(`service            ${fmt(rate)} readings/s committed and acknowledged (${PRODUCERS} WebSocket producers, ${STREAMS} streams, ${rejected} rejected)\n`);
process.stdout.write(`latency to feed    p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms (${latencies.length} forecasts measured)\n`);
process.stdout.write(`ratio              service / engine only ${(rate / engineOnly).toFixed(2)}\n`);
for (const ws of [...producers, feed]) ws.close();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ bench: 'e2e', streams: STREAMS, readings_per_s: Math.round(rate), p50_ms: Math.round(q(0.5) * 10) / 10, p99_ms: Math.round(q(0.99) * 10) / 10, engine_only_steps_per_s: Math.round(engineOnly) })}\n`,
);

function fmt(v: number): string {
  return Math.round(v).toLocaleString('en-US').padStart(11);
}
