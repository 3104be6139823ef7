/**
 * Stream-steps per second of the engine (validate, gather, step, head, scatter)
 * for N streams stepped per tick out of a 100,000-stream table, hidden size 64,
 * beside the naive way (one tfjs step call per reading) and the plain float64
 * reference, all measured in this run. Last line: one JSON object.
 */
import { pino } from 'pino';
import { createBackendRegistry } from '../src/backend/backendRegistry.ts';
import { selectBackend } from '../src/backend/selectBackend.ts';
import { loadConfig } from '../src/config.ts';
import { Engine } from '../src/engine/engine.ts';
import { FEATURE_COUNT } from '../src/engine/features.ts';
import { StateTable } from '../src/engine/stateTable.ts';
import { initWeights } from '../src/model/gruWeights.ts';
import type { ModelSpec } from '../src/model/modelSpec.ts';
import { computeThreads } from '../src/engine/buildEngine.ts';
import { LocalRounds } from '../src/engine/localRounds.ts';
import { ParallelRounds } from '../src/engine/parallelRounds.ts';
import { TfGruKernel } from '../src/model/tfGruKernel.ts';
import { refGruStep, refHead } from '../test/support/referenceGru.ts';
import { NaiveStepper } from './naiveStepper.ts';

const TABLE = 100_000;
const HIDDEN = 64;
const SIZES = [1, 256, 4096, 65536];
const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

const config = loadConfig();
const log = pino({ level: 'warn' });
const backend = await selectBackend(config.backend, createBackendRegistry(), log);
const spec: ModelSpec = { inputSize: FEATURE_COUNT, hidden: HIDDEN, horizons: [1, 6, 24], featureSet: 'v1' };
const weights = initWeights(spec, 1);
const threads = computeThreads(backend.name, config.engine.computeThreads);
const executor = threads > 1 ? await ParallelRounds.create(spec, weights, { backend: backend.name, threads, log }) : new LocalRounds(new TfGruKernel(spec, weights));
const engine = new Engine(executor, new StateTable(HIDDEN, TABLE), { maxKeyLength: 256, modelVersion: 0 });

const keys = Array.from({ length: TABLE }, (_, i) => `sensor-${i}`);
let clock = Date.UTC(2026, 0, 1);
const tick = (n: number, offset: number) => {
  clock += 60_000;
  return Array.from({ length: n }, (_, i) => ({ stream: keys[(offset + i) % TABLE], ts: clock, value: Math.sin(clock / 3.6e6 + i) * 10 + 20 }));
};
// Every stream gets a first reading, so the table is full before timing starts.
for (let off = 0; off < TABLE; off += 65536) engine.step(tick(Math.min(65536, TABLE - off), off));

/** Runs `fn` (which steps `perCall` streams) until MIN_SECONDS have passed; returns steps/s. */
function measure(perCall: number, fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_SECONDS * 1000 || calls < 5) {
    fn();
    calls++;
    elapsed = performance.now() - started;
  }
  return (calls * perCall) / (elapsed / 1000);
}

const stepsPerS: Record<string, number> = {};
for (const n of SIZES) {
  let offset = 0;
  stepsPerS[n] = measure(n, () => {
    // Building the tick's reading objects is the producer's cost, but under 1% of a tick: it stays in the timing.
    engine.step(tick(n, offset));
    offset = (offset + n) % TABLE;
  });
  process.stdout.write(`engine  N=${String(n).padStart(5)}  ${fmt(stepsPerS[n])} steps/s\n`);
}

const NAIVE_N = 4096;
const naiveStepper = new NaiveStepper(spec, weights);
let naiveOffset = 0;
const naive = measure(NAIVE_N, () => {
  for (const r of tick(NAIVE_N, naiveOffset)) naiveStepper.step(r.stream, r.ts, r.value);
  naiveOffset = (naiveOffset + NAIVE_N) % TABLE;
});
naiveStepper.dispose();
process.stdout.write(`naive   N= 4096  ${fmt(naive)} steps/s (each reading alone: the equations in tfjs ops, one tidy and read-back per reading)\n`);

let singleOffset = 0;
const single = measure(NAIVE_N, () => {
  for (const r of tick(NAIVE_N, singleOffset)) engine.step([r]);
  singleOffset = (singleOffset + NAIVE_N) % TABLE;
});
process.stdout.write(`engine, one reading per tick, N= 4096  ${fmt(single)} steps/s\n`);

const refState = Array.from({ length: NAIVE_N }, () => new Array<number>(HIDDEN).fill(0));
const x = Array.from({ length: FEATURE_COUNT }, (_, i) => i / 10);
const reference = measure(NAIVE_N, () => {
  for (let i = 0; i < NAIVE_N; i++) {
    refState[i] = refGruStep(weights, x, refState[i]);
    refHead(weights, x, refState[i], 6);
  }
});
process.stdout.write(`float64 reference N= 4096  ${fmt(reference)} steps/s\n`);
process.stdout.write(
  `ratios at N=4096: engine/naive ${(stepsPerS[4096] / naive).toFixed(1)}x, engine/engine-one-per-tick ${(stepsPerS[4096] / single).toFixed(1)}x, engine/reference ${(stepsPerS[4096] / reference).toFixed(1)}x\n`,
);
engine.dispose();
const round = (v: number) => Math.round(v);
process.stdout.write(
  `${JSON.stringify({
    bench: 'engine',
    backend: backend.name,
    threads,
    hidden: HIDDEN,
    steps_per_s: Object.fromEntries(SIZES.map((n) => [String(n), round(stepsPerS[n])])),
    naive_steps_per_s: { '4096': round(naive) },
    engine_one_per_tick_steps_per_s: { '4096': round(single) },
    reference_steps_per_s: { '4096': round(reference) },
  })}\n`,
);

function fmt(v: number): string {
  return Math.round(v).toLocaleString('en-US').padStart(11);
}
