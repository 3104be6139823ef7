import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadConfig } from '../../src/config.ts';
import { type Service, startService } from '../../src/serve/service.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-retrain-svc');
let service: Service;
const T0 = Date.UTC(2026, 7, 1);

describe('retraining in the running service', () => {
  beforeAll(async () => {
    const config = loadConfig({ store: { path: tmp.path('r.db') }, statsIntervalS: 0, engine: { maxWaitMs: 2 }, server: { port: 0 } }, {});
    service = await startService(config, pino({ level: 'silent' }), { simulate: false });
  });
  afterAll(async () => {
    await service.stop();
    tmp.remove();
  });

  it('trains on demand without stopping ingest, reporting progress on the feed and in the metrics', async () => {
    const readings = [];
    for (let i = 0; i < 560; i++) for (let s = 0; s < 3; s++) readings.push({ stream: `m-${s}`, ts: T0 + i * 60_000, value: 5 * s + ((i + s) % 5) });
    const posted = await fetch(`${service.url}/api/v1/readings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(readings) });
    expect(((await posted.json()) as { accepted: number }).accepted).toBe(readings.length);
    const feed = new WebSocket(`${service.url.replace('http', 'ws')}/feed`);
    await new Promise((r, j) => feed.once('open', r).once('error', j));
    const events: { phase: string; promoted?: boolean }[] = [];
    feed.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { type: string; phase: string };
      if (m.type === 'training') events.push(m);
    });
    const started = await fetch(`${service.url}/api/v1/model/retrain`, { method: 'POST' });
    expect(started.status).toBe(202);
    // Ingest goes on while the trainer thread works.
    const more = await fetch(`${service.url}/api/v1/readings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ stream: 'm-0', ts: T0 + 600 * 60_000, value: 1 }]) });
    expect(((await more.json()) as { accepted: number }).accepted).toBe(1);
    const end = Date.now() + 90_000;
    while (!events.some((e) => e.phase !== 'epoch') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const done = events.find((e) => e.phase !== 'epoch');
    expect(done?.phase).toBe('done');
    expect(events.filter((e) => e.phase === 'epoch').length).toBeGreaterThan(0);
    const checkpoints = ((await (await fetch(`${service.url}/api/v1/model`)).json()) as { live: { version: number }; checkpoints: { version: number; status: string }[] });
    expect(checkpoints.checkpoints).toHaveLength(2);
    expect(checkpoints.live.version).toBe(done?.promoted ? 2 : 1);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/forecaster_training_runs_total\{outcome="(promoted|kept)"\} 1/);
    expect(metrics).toContain(`forecaster_model_version ${checkpoints.live.version}`);
    feed.close();
  }, 120_000);

  it('retrains on its own after the configured number of new readings', async () => {
    const config = loadConfig({ store: { path: tmp.path('n.db') }, statsIntervalS: 0, engine: { maxWaitMs: 2 }, server: { port: 0 }, training: { everyReadings: 1500 } }, {});
    const svc = await startService(config, pino({ level: 'silent' }), { simulate: false });
    const phases: string[] = [];
    svc.app.training$.subscribe((e) => phases.push(e.phase));
    const post = (from: number, to: number) => {
      const rs = [];
      for (let i = from; i < to; i++) for (let s = 0; s < 3; s++) rs.push({ stream: `n-${s}`, ts: T0 + i * 60_000, value: s + (i % 4) });
      return fetch(`${svc.url}/api/v1/readings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rs) });
    };
    await post(0, 400); // 1,200 readings: not yet
    await new Promise((r) => setTimeout(r, 200));
    expect(phases).toEqual([]);
    await post(400, 560); // 1,680 in all: a run starts
    const end = Date.now() + 90_000;
    while (!phases.some((p) => p !== 'epoch') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(phases.at(-1)).toBe('done');
    await svc.stop();
  }, 120_000);
});
