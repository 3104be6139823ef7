/**
 * End to end on this machine: the service runs as its own process (wasm backend,
 * SQLite, HTTP/WebSocket on 127.0.0.1); WebSocket producers in this process send
 * readings for 10,000 streams as fast as acknowledgements allow, and one feed
 * subscriber takes every forecast. Measures sustained committed readings/s, and
 * p50/p99 latency from a reading being sent to its forecast reaching the
 * subscriber; beside the engine alone in this process, in the same run.
 * Last line: one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadModel } from '../src/app.ts';
import { createBackendRegistry } from '../src/backend/backendRegistry.ts';
import { selectBackend } from '../src/backend/selectBackend.ts';
import { DEFAULT_MODEL_PATH, loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/buildEngine.ts';
import { runLoad, startServiceProcess } from './support/serviceHarness.ts';

const STREAMS = 10_000;
const PRODUCERS = 4;
const BATCH = 500;
const WINDOW = Number(process.env.BENCH_WINDOW ?? 8); // unacknowledged messages per producer
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Readings/s offered on a clock instead of as fast as acknowledgements allow (latency below saturation). */
const RATE = process.env.BENCH_RATE === undefined ? undefined : Number(process.env.BENCH_RATE);
const dir = mkdtempSync(join(tmpdir(), 'forecaster-e2e-'));
const log = pino({ level: 'warn' });

// 1. The engine alone, in this process: 10,000 streams, ticks of 4,096.
const config = loadConfig({}, {});
const backend = await selectBackend(config.backend, createBackendRegistry(), log);
const engine = await createEngine(loadModel(DEFAULT_MODEL_PATH), config.engine, backend.name, log);
const keys = Array.from({ length: STREAMS }, (_, i) => `plant-${i % 100}/sensor-${i}`);
let cursor = 0;
const tick = (n: number) =>
  Array.from({ length: n }, () => {
    cursor++;
    return { stream: keys[cursor % STREAMS], ts: Date.UTC(2026, 0, 1) + Math.floor(cursor / STREAMS) * 1000, value: Math.sin(cursor) };
  });
for (let i = 0; i < 5; i++) engine.step(tick(4096));
let steps = 0;
const engineStart = performance.now();
while (performance.now() - engineStart < 3000) steps += engine.step(tick(4096)).count;
const engineOnly = steps / ((performance.now() - engineStart) / 1000);
engine.dispose();
process.stdout.write(`engine only        ${fmt(engineOnly)} steps/s (${backend.name}, ${STREAMS} streams, ticks of 4096)\n`);

// 2. The service, as its own process, under WebSocket load with one feed subscriber.
const profile = process.env.BENCH_PROFILE;
const svc = await startServiceProcess(join(dir, 'e2e.db'), profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []);
// The worst latency of each half second, by when the reading was sent: stalls show as spikes.
const worst: number[] = [];
const sends: number[] = [];
const lats: number[] = [];
const r = await runLoad(svc, {
  streams: STREAMS,
  producers: PRODUCERS,
  batch: BATCH,
  window: WINDOW,
  seconds: SECONDS,
  round0: 0,
  rate: RATE,
  onLatency: (sentAt, ms) => {
    sends.push(sentAt);
    lats.push(ms);
  },
});
const firstSent = sends.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
sends.forEach((t, i) => {
  const slot = Math.floor((t - firstSent) / 500);
  worst[slot] = Math.max(worst[slot] ?? 0, lats[i]);
});
process.stdout.write(`service            ${fmt(r.readingsPerS)} readings/s committed and acknowledged (${PRODUCERS} WebSocket producers, ${STREAMS} streams, window ${WINDOW} × ${BATCH}${RATE === undefined ? ', closed loop' : `, paced at ${RATE} readings/s offered`})\n`);
process.stdout.write(`latency to feed    p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (${r.measured} forecasts measured)\n`);
const sampled = worst.filter((v) => v !== undefined);
process.stdout.write(`worst per 0.5 s    ${sparkline(worst)} (${Math.round(Math.min(...sampled))}–${Math.round(Math.max(...sampled))} ms)\n`);
process.stdout.write(`ratio              service / engine only ${(r.readingsPerS / engineOnly).toFixed(2)}\n`);
await svc.stop();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ bench: 'e2e', streams: STREAMS, readings_per_s: Math.round(r.readingsPerS), p50_ms: Math.round(r.p50 * 10) / 10, p99_ms: Math.round(r.p99 * 10) / 10, engine_only_steps_per_s: Math.round(engineOnly), offered_per_s: RATE ?? null })}\n`,
);

/** One character per half second, ▁ (lowest) to █ (highest) on a log scale; · where none was sent (producers held back). */
function sparkline(values: readonly (number | undefined)[]): string {
  const bars = '▁▂▃▄▅▆▇█';
  const logs = Array.from(values, (v) => (v === undefined ? NaN : Math.log(Math.max(v, 1))));
  const present = logs.filter((l) => !Number.isNaN(l));
  const lo = Math.min(...present);
  const span = Math.max(...present) - lo || 1;
  return logs.map((l) => (Number.isNaN(l) ? '·' : bars[Math.min(7, Math.floor(((l - lo) / span) * 8))])).join('');
}

function fmt(v: number): string {
  return Math.round(v).toLocaleString('en-US').padStart(11);
}
