import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/app.ts';
import { DEFAULT_MODEL_PATH } from '../../src/config.ts';
import { RETRAIN_DEFAULTS, retrain, shouldPromote } from '../../src/jobs/retrain.ts';
import type { Model } from '../../src/model/modelFile.ts';
import { Store } from '../../src/store/store.ts';
import { recentWindows } from '../../src/train/recentWindows.ts';
import { TrainerThread } from '../../src/train/trainerThread.ts';
import { Rng } from '../../src/util/rng.ts';
import { useBestBackend } from '../support/backend.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-retrain');
const STREAMS = 12;
const LENGTH = 240;
const WINDOWS = { streams: STREAMS, length: LENGTH, holdOut: 48 };
const FAST = { epochs: 6, chunk: 48, batchSize: 16, learningRate: 3e-3, patience: 6 };
let backend: 'wasm' | 'cpu';

/** A store holding STREAMS streams of a sawtooth of period 7 plus noise: a shape the shipped model was never trained on. */
function storeWithReadings(name: string, length = LENGTH): { store: Store; live: Model } {
  const store = Store.open(tmp.path(name));
  const live = store.checkpoints.ensureLive(loadModel(DEFAULT_MODEL_PATH));
  const rng = new Rng(3);
  const insertStream = store.db.prepare('INSERT INTO streams (id, key, first_seen, last_seen) VALUES (?, ?, 0, ?)');
  const insertReading = store.db.prepare('INSERT INTO readings (stream_id, ts, value) VALUES (?, ?, ?)');
  store.db.transaction(() => {
    for (let s = 1; s <= STREAMS; s++) {
      insertStream.run(s, `saw-${s}`, length * 60_000);
      for (let i = 0; i < length; i++) insertReading.run(s, Date.UTC(2026, 0, 1) + i * 60_000, 10 * s + ((i + s) % 7) * 3 + rng.next() * 0.3);
    }
  })();
  return { store, live };
}

describe('retraining', () => {
  beforeAll(async () => {
    backend = (await useBestBackend()) === 'wasm' ? 'wasm' : 'cpu';
  });
  afterAll(() => tmp.remove());

  it('keeps the held-back slice out of training: it only ever scores the newest readings', () => {
    const { store } = storeWithReadings('w.db');
    const w = recentWindows(store.db, { ...WINDOWS, horizons: [1, 6, 24] });
    expect(w.streams).toBe(STREAMS);
    expect(w.train.steps).toBe(LENGTH - 48);
    const k = 3;
    // No validation weight on the first LENGTH − 48 steps of any window; weight on the last ones.
    for (let s = 0; s < STREAMS; s++) {
      const row = w.valid.mask.subarray(s * LENGTH * k, (s + 1) * LENGTH * k);
      expect(row.subarray(0, (LENGTH - 48) * k).every((m) => m === 0)).toBe(true);
      expect(row[(LENGTH - 48) * k]).toBe(1);
    }
    store.close();
  });

  it('lowers the loss on the streams it learns from, on a trainer thread, and promotes the better model with its lineage', async () => {
    const { store, live } = storeWithReadings('a.db');
    const progress: number[] = [];
    const out = await retrain(store, live, backend, { windows: WINDOWS, settings: FAST, margin: 0.01 }, (p) => progress.push(p.validLoss));
    expect(out.candidateNll).toBeLessThan(out.liveNll - 0.01);
    expect(out.promoted).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    const list = store.checkpoints.list();
    expect(list.map((c) => [c.version, c.status, c.parent])).toEqual([[1, 'retired', null], [2, 'live', 1]]);
    expect(list[1].metrics).toMatchObject({ liveNll: out.liveNll, candidateNll: out.candidateNll, streams: STREAMS });
    expect(list[1].dataTo).toBe(Date.UTC(2026, 0, 1) + (LENGTH - 1) * 60_000);
    store.close();
  }, 120_000);

  it('does not promote a candidate that does not beat the live model by the margin', async () => {
    const { store, live } = storeWithReadings('b.db');
    const out = await retrain(store, live, backend, { windows: WINDOWS, settings: { ...FAST, epochs: 1 }, margin: 100 });
    expect(out.promoted).toBe(false);
    expect(store.checkpoints.live()?.meta.version).toBe(1);
    expect(store.checkpoints.list().map((c) => c.status)).toEqual(['live', 'candidate']);
    expect(shouldPromote(1.0, 0.95, 0.01)).toBe(true);
    expect(shouldPromote(1.0, 0.995, 0.01)).toBe(false);
    expect(shouldPromote(1.0, Number.NaN, 0.01)).toBe(false);
    store.close();
  }, 120_000);

  it('leaves the live model in place when the trainer is killed or fails', async () => {
    const { store, live } = storeWithReadings('c.db');
    const data = recentWindows(store.db, { ...WINDOWS, horizons: live.spec.horizons });
    const run = await TrainerThread.start({ backend, spec: live.spec, init: live.weights, train: data.train, valid: data.valid, settings: { ...FAST, epochs: 1000, patience: 1000 } });
    await run.thread.terminate(); // killed, as by an out-of-memory kill
    await expect(run.result).rejects.toMatchObject({ code: 'FC_ERR_TRAINING' });
    const bad = await TrainerThread.start({ backend, spec: { ...live.spec, hidden: 7 }, init: live.weights, train: data.train, valid: data.valid, settings: FAST });
    await expect(bad.result).rejects.toMatchObject({ code: 'FC_ERR_TRAINING' });
    expect(store.checkpoints.list().map((c) => [c.version, c.status])).toEqual([[1, 'live']]);
    store.close();
  }, 60_000);

  it('refuses to train without a full window of readings', async () => {
    const { store, live } = storeWithReadings('d.db', 50);
    await expect(retrain(store, live, backend, RETRAIN_DEFAULTS)).rejects.toMatchObject({ code: 'FC_ERR_TRAINING_DATA' });
    store.close();
  });
});
