/**
 * Training speed and its cost to serving, in one run: windows per second trained
 * by the trainer (its own thread; window 64, batch 256, hidden 64) beside a plain
 * `tf.layers.gru` fit on the same data in this process, and the engine's tick
 * latency p99 with and without the trainer running. Last line: one JSON object.
 */
import * as tf from '@tensorflow/tfjs';
import { pino } from 'pino';
import { loadModel } from '../src/app.ts';
import { createBackendRegistry } from '../src/backend/backendRegistry.ts';
import { selectBackend } from '../src/backend/selectBackend.ts';
import { DEFAULT_MODEL_PATH, loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/buildEngine.ts';
import { FEATURE_COUNT } from '../src/engine/features.ts';
import { initWeights } from '../src/model/gruWeights.ts';
import { FEATURE_SET, type ModelSpec, outputSize } from '../src/model/modelSpec.ts';
import { generateSeries } from '../src/train/synthetic.ts';
import { buildTrainingData } from '../src/train/trainingData.ts';
import { TrainerThread } from '../src/train/trainerThread.ts';

const WINDOW = 64;
const BATCH = 256;
const WINDOWS = 4 * BATCH;
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 3);
const TICK_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

const log = pino({ level: 'warn' });
const config = loadConfig({}, {});
const backend = await selectBackend(config.backend, createBackendRegistry(), log);
const spec: ModelSpec = { inputSize: FEATURE_COUNT, hidden: 64, horizons: [1, 6, 24], featureSet: FEATURE_SET };
const series = Array.from({ length: WINDOWS }, (_, i) => generateSeries(10_000 + i, WINDOW + 24));
const data = buildTrainingData(series, WINDOW, spec.horizons);
const valid = buildTrainingData(series.slice(0, BATCH), WINDOW, spec.horizons);
const settings = { epochs: EPOCHS, chunk: WINDOW, batchSize: BATCH, learningRate: 1e-3, patience: 1000 };

// 1. The trainer, on its thread: time per epoch from its progress reports (validation included).
async function trainerRate(): Promise<number> {
  const stamps: number[] = [];
  const run = await TrainerThread.start({ backend: backend.name, spec, init: initWeights(spec, 1), train: data, valid, settings }, () => stamps.push(performance.now()));
  const started = performance.now();
  await run.result;
  const first = stamps[0] ?? started;
  // Epoch 1 includes warm-up (kernel compilation); count the epochs after it when there are any.
  return stamps.length > 1 ? ((stamps.length - 1) * WINDOWS) / ((stamps[stamps.length - 1] - first) / 1000) : WINDOWS / ((first - started) / 1000);
}
const windowsPerS = await trainerRate();
process.stdout.write(`trainer             ${windowsPerS.toFixed(0)} windows/s (window ${WINDOW}, batch ${BATCH}, hidden 64, ${backend.name}, own thread)\n`);

// 2. A plain tf.layers.gru fit on the same windows (inputs, targets of every horizon, MSE).
const k = outputSize(spec) / 2;
const layersModel = tf.sequential({
  layers: [tf.layers.gru({ units: 64, returnSequences: true, inputShape: [WINDOW, FEATURE_COUNT] }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: k }) })],
});
layersModel.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
const xs = tf.tensor3d(data.x, [WINDOWS, WINDOW, FEATURE_COUNT]);
const ys = tf.tensor3d(data.y, [WINDOWS, WINDOW, k]);
await layersModel.fit(xs, ys, { batchSize: BATCH, epochs: 1, verbose: 0 }); // warm-up
const fitStart = performance.now();
await layersModel.fit(xs, ys, { batchSize: BATCH, epochs: EPOCHS - 1 > 0 ? EPOCHS - 1 : 1, verbose: 0 });
const layersRate = ((EPOCHS - 1 > 0 ? EPOCHS - 1 : 1) * WINDOWS) / ((performance.now() - fitStart) / 1000);
tf.dispose([xs, ys]);
layersModel.dispose();
process.stdout.write(`tf.layers.gru fit   ${layersRate.toFixed(0)} windows/s (same data, this thread)  → trainer ${(windowsPerS / layersRate).toFixed(2)}×\n`);

// 3. Tick latency: the engine stepping ticks of 1,000 readings over 10,000 streams every 20 ms, idle and while training.
const engine = await createEngine(loadModel(DEFAULT_MODEL_PATH), config.engine, backend.name, log);
let cursor = 0;
async function tickP99(seconds: number): Promise<number> {
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const tick = Array.from({ length: 1000 }, () => {
      cursor++;
      return { stream: `s-${cursor % 10_000}`, ts: 1e12 + Math.floor(cursor / 10_000) * 60_000, value: Math.sin(cursor) };
    });
    const t = performance.now();
    engine.step(tick);
    lat.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  lat.sort((a, b) => a - b);
  return lat[Math.floor(0.99 * (lat.length - 1))];
}
await tickP99(1);
const idle = await tickP99(TICK_SECONDS);
const long = await TrainerThread.start({ backend: backend.name, spec, init: initWeights(spec, 2), train: data, valid, settings: { ...settings, epochs: 1000 } });
await new Promise((r) => setTimeout(r, 1500)); // let it get going
const training = await tickP99(TICK_SECONDS);
await long.stop();
const threads = engine.executor.threads;
engine.dispose();
process.stdout.write(`tick p99            idle ${idle.toFixed(2)} ms, while training ${training.toFixed(2)} ms (${(training / idle).toFixed(2)}×; ticks of 1,000 readings every 20 ms, ${threads} compute threads)\n`);
process.stdout.write(
  `${JSON.stringify({ bench: 'train', windows_per_s: Math.round(windowsPerS), layers_gru_windows_per_s: Math.round(layersRate), tick_p99_ms_idle: Math.round(idle * 100) / 100, tick_p99_ms_training: Math.round(training * 100) / 100 })}\n`,
);
