import { pino } from 'pino';
import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildEngine } from '../../src/engine/buildEngine.ts';
import type { Forecast } from '../../src/engine/reading.ts';
import { initWeights } from '../../src/model/gruWeights.ts';
import type { Model } from '../../src/model/modelFile.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-promote');
afterAll(() => tmp.remove());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.UTC(2026, 6, 1);
const K = 12;
const STREAMS = ['a', 'b', 'c'];
const value = (s: number, i: number) => 10 * (s + 1) + Math.sin(i / 3 + s) * (s + 1);

/** The forecast a fresh engine of `model` gives after stepping `stream`'s readings `from`..`to` (inclusive). */
function freshForecast(model: Model, config: ReturnType<typeof loadConfig>, s: number, from: number, to: number): number[] {
  const engine = buildEngine(model, config.engine);
  let out = engine.step([]);
  for (let i = from; i <= to; i++) out = engine.step([{ stream: STREAMS[s], ts: T0 + i * 60_000, value: value(s, i) }]);
  const mean = Array.from(out.mean.subarray(0, model.spec.horizons.length));
  engine.dispose();
  return mean;
}

describe('promotion and rollback in a running app', () => {
  it('re-warms every stream under the new weights over its last K readings, and a rollback restores the old forecasts exactly', async () => {
    const config = loadConfig({ store: { path: tmp.path('p.db') }, statsIntervalS: 0, engine: { maxWaitMs: 1, computeThreads: 1 }, training: { rewarmReadings: K } }, {});
    const source = new Subject<unknown>();
    const app = await buildApp(config, { log: pino({ level: 'silent' }), source });
    const latest = new Map<string, Forecast>();
    let committed = 0;
    app.committed$.subscribe((t) => {
      committed += t.readings.length;
      for (const o of t.outcomes) if (o.kind === 'forecast') latest.set(o.stream, o);
    });
    app.start();
    const v1 = app.model;
    const v2: Model = { ...v1, weights: initWeights(v1.spec, 99), meta: { ...v1.meta, source: 'test' } };
    const version2 = app.store.checkpoints.save(v2, { status: 'candidate', parent: v1.meta.version });
    const send = async (i: number) => {
      const before = committed;
      STREAMS.forEach((stream, s) => source.next({ stream, ts: T0 + i * 60_000, value: value(s, i) }));
      while (committed < before + STREAMS.length) await sleep(2);
    };
    for (let i = 0; i < 40; i++) await send(i);

    expect(await app.setLiveModel(version2)).toBe(STREAMS.length);
    expect(app.engine.modelVersion).toBe(version2);
    expect(app.store.checkpoints.live()?.meta.version).toBe(version2);
    await send(40);
    // Each stream now forecasts as the new weights do, run fresh over its last K readings (29..39), then reading 40.
    STREAMS.forEach((stream, s) => {
      expect(latest.get(stream)?.points.map((p) => p.mean)).toEqual(freshForecast(v2, config, s, 40 - K, 40));
      expect(latest.get(stream)?.modelVersion).toBe(version2);
    });

    await app.setLiveModel(v1.meta.version); // rollback
    await send(41);
    STREAMS.forEach((stream, s) => {
      expect(latest.get(stream)?.points.map((p) => p.mean)).toEqual(freshForecast(v1, config, s, 41 - K, 41));
    });
    await expect(app.setLiveModel(999)).rejects.toMatchObject({ code: 'FC_ERR_MODEL_NOT_FOUND' });
    source.complete();
    await app.stop();
  }, 60_000);
});
