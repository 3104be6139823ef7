import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Service, startService } from '../../src/serve/service.ts';
import { openDatabase } from '../../src/store/openDatabase.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-http');
const INGEST = 'ingest-token-0123456789';
const ADMIN = 'admin-token-0123456789ab';
const FEED = 'feed-token-0123456789abcd';
let service: Service;

const T0 = Date.UTC(2026, 3, 1);

interface Answer {
  accepted: number;
  rejections: { index: number; code: string }[];
  code?: string;
}
const json = async (res: Response): Promise<Answer> => (await res.json()) as Answer;
const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${service.url}/api/v1/readings`, { method: 'POST', body, headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/json', ...headers } });

describe('HTTP API', () => {
  beforeAll(async () => {
    const config = loadConfig(
      {
        store: { path: tmp.path('http.db') },
        statsIntervalS: 0,
        engine: { maxWaitMs: 2 },
        server: { port: 0, maxBodyBytes: 64 * 1024, maxBatch: 500, tokens: [{ token: INGEST, scopes: ['ingest'] }, { token: ADMIN, scopes: ['admin'] }, { token: FEED, scopes: ['feed'] }] },
      },
      {},
    );
    service = await startService(config, pino({ level: 'silent' }), { simulate: false });
  });

  afterAll(async () => {
    await service.stop();
    tmp.remove();
  });

  it('serves the web page and its assets without a token, and nothing else from the disk', async () => {
    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('/app.js');
    for (const asset of ['/app.js', '/style.css', '/vendor/uplot.js', '/vendor/uplot.css']) expect((await fetch(`${service.url}${asset}`)).status, asset).toBe(200);
    for (const probe of ['/../package.json', '/%2e%2e/package.json', '/web/app.js', '/index.html']) {
      const res = await fetch(`${service.url}${probe}`);
      expect(res.status, probe).toBe(404);
    }
    // The data behind the page still needs a token.
    expect((await fetch(`${service.url}/api/v1/status`)).status).toBe(401);
    const status = await fetch(`${service.url}/api/v1/status`, { headers: { authorization: `Bearer ${FEED}` } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ backend: expect.any(String), engine: { ticks: expect.any(Number) } });
  });

  it('answers health and readiness without a token', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('stores a batch and answers, after commit, with every item’s outcome and code', async () => {
    const batch = [
      { stream: 'http/a', ts: T0, value: 1.5 },
      { stream: 'http/a', ts: T0 + 60_000, value: 2 },
      { stream: 'http/b', ts: T0, value: 'x' },
      42,
      { stream: '', ts: T0, value: 1 },
      { stream: 'http/c', ts: T0, value: 3 },
    ];
    const res = await post(JSON.stringify(batch));
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.accepted).toBe(3);
    expect(body.rejections.map((r) => [r.index, r.code])).toEqual([
      [2, 'FC_ERR_VALUE_NOT_NUMBER'],
      [3, 'FC_ERR_KEY_NOT_STRING'],
      [4, 'FC_ERR_KEY_EMPTY'],
    ]);
    // Answered after commit: the rows are already in the file.
    const db = openDatabase(tmp.path('http.db'), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM readings r JOIN streams s ON s.id = r.stream_id WHERE s.key LIKE 'http/%'").get()).toEqual({ n: 3 });
    db.close();
  });

  it('takes NDJSON, refusing only its broken lines', async () => {
    const lines = [JSON.stringify({ stream: 'nd/a', ts: T0, value: 1 }), '{not json', JSON.stringify({ stream: 'nd/a', ts: T0 + 1, value: 2 })].join('\n');
    const body = await json(await post(lines, { 'content-type': 'application/x-ndjson' }));
    expect(body.accepted).toBe(2);
    expect(body.rejections).toEqual([expect.objectContaining({ index: 1, code: 'FC_ERR_JSON_INVALID' })]);
  });

  it.each([
    ['no token', {}, 401, 'FC_ERR_AUTH_MISSING'],
    ['a wrong token', { authorization: 'Bearer not-the-right-token-at-all' }, 401, 'FC_ERR_AUTH_INVALID'],
    ['a token without the ingest scope', { authorization: `Bearer ${ADMIN}` }, 403, 'FC_ERR_AUTH_SCOPE'],
  ])('refuses %s', async (_what, headers, status, code) => {
    const res = await fetch(`${service.url}/api/v1/readings`, { method: 'POST', body: '[]', headers });
    expect(res.status).toBe(status);
    expect((await json(res)).code).toBe(code);
  });

  it.each([
    ['a body that is not JSON', '{"stream":', 400, 'FC_ERR_JSON_INVALID'],
    ['a JSON body that is not a reading or array', '"hello"', 400, 'FC_ERR_JSON_INVALID'],
    ['more readings than the batch limit', JSON.stringify(Array.from({ length: 501 }, (_, i) => ({ stream: 'big', ts: T0 + i, value: 1 }))), 413, 'FC_ERR_BATCH_TOO_LARGE'],
    ['a body over the size limit', JSON.stringify([{ stream: 'x'.repeat(70_000), ts: T0, value: 1 }]), 413, 'FC_ERR_BODY_TOO_LARGE'],
  ])('refuses %s as a whole, with its code', async (_what, body, status, code) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect((await json(res)).code).toBe(code);
  });

  it('refuses an unknown route and a wrong method with codes', async () => {
    const nf = await fetch(`${service.url}/nope`);
    expect(nf.status).toBe(404);
    expect((await json(nf)).code).toBe('FC_ERR_NOT_FOUND');
    const m = await fetch(`${service.url}/api/v1/readings`, { headers: { authorization: `Bearer ${INGEST}` } });
    expect(m.status).toBe(405);
    expect((await json(m)).code).toBe('FC_ERR_METHOD_NOT_ALLOWED');
  });

  it('lists streams, by glob, and serves their readings and forecasts by time range', async () => {
    const get = (path: string) => fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${FEED}` } });
    await post(JSON.stringify(Array.from({ length: 5 }, (_, i) => ({ stream: 'site/north/t1', ts: T0 + i * 60_000, value: 10 + i }))));
    const streams = (await (await get('/api/v1/streams?search=site/*')).json()) as { streams: { key: string; inMemory: boolean }[] };
    expect(streams.streams).toEqual([expect.objectContaining({ key: 'site/north/t1', inMemory: true })]);
    const key = encodeURIComponent('site/north/t1');
    const readings = (await (await get(`/api/v1/streams/${key}/readings?from=${T0 + 60_000}&to=${new Date(T0 + 180_000).toISOString()}`)).json()) as { readings: { ts: number; value: number }[] };
    expect(readings.readings).toEqual([{ ts: T0 + 60_000, value: 11 }, { ts: T0 + 120_000, value: 12 }, { ts: T0 + 180_000, value: 13 }]);
    const forecasts = (await (await get(`/api/v1/streams/${key}/forecasts?horizon=6`)).json()) as { forecasts: { madeAt: number; horizon: number; mean: number; lower: number; upper: number }[] };
    expect(forecasts.forecasts.map((f) => [f.madeAt, f.horizon])).toEqual(Array.from({ length: 5 }, (_, i) => [T0 + i * 60_000, 6]));
    expect((await get('/api/v1/streams/nope/readings')).status).toBe(404);
    expect((await json(await get(`/api/v1/streams/${key}/readings?limit=0`))).code).toBe('FC_ERR_QUERY_INVALID');
    const model = (await (await get('/api/v1/model')).json()) as { live: { version: number }; checkpoints: { version: number; status: string }[] };
    expect(model.live.version).toBe(1);
    expect(model.checkpoints).toEqual([expect.objectContaining({ version: 1, status: 'live' })]);
  });

  it('exports Prometheus metrics to the admin scope', async () => {
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of ['forecaster_readings_ingested_total', 'forecaster_readings_rejected_total', 'forecaster_tick_readings_bucket', 'forecaster_tick_seconds_bucket', 'forecaster_store_commit_seconds_bucket', 'forecaster_ingest_in_flight', 'forecaster_engine_queue', 'forecaster_http_requests_total']) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/forecaster_readings_rejected_total\{code="FC_ERR_VALUE_NOT_NUMBER"\} 1/);
  });
});
