import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadConfig } from '../../src/config.ts';
import { type Service, startService } from '../../src/serve/service.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-ws');
const INGEST = 'ingest-token-0123456789';
const FEED = 'feed-token-0123456789ab';
let service: Service;
const T0 = Date.UTC(2026, 4, 1);

function connect(path: string, token: string | null): Promise<WebSocket> {
  const url = `${service.url.replace('http', 'ws')}${path}${token === null ? '' : `?token=${token}`}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

/** The next `n` JSON messages the socket receives. */
function next(ws: WebSocket, n = 1): Promise<Record<string, unknown>[]> {
  return new Promise((resolve) => {
    const got: Record<string, unknown>[] = [];
    const on = (data: Buffer) => {
      got.push(JSON.parse(data.toString()));
      if (got.length === n) {
        ws.off('message', on);
        resolve(got);
      }
    };
    ws.on('message', on);
  });
}

describe('WebSocket ingest and feed', () => {
  beforeAll(async () => {
    const config = loadConfig(
      { store: { path: tmp.path('ws.db') }, statsIntervalS: 0, engine: { maxWaitMs: 2 }, server: { port: 0, maxStreamsPerConnection: 3, tokens: [{ token: INGEST, scopes: ['ingest'] }, { token: FEED, scopes: ['feed'] }] } },
      {},
    );
    service = await startService(config, pino({ level: 'silent' }), { simulate: false });
  });

  afterAll(async () => {
    await service.stop();
    tmp.remove();
  });

  it('refuses an upgrade without a valid token for the endpoint', async () => {
    await expect(connect('/ingest', null)).rejects.toThrow('HTTP 401');
    await expect(connect('/feed', INGEST)).rejects.toThrow('HTTP 403');
    await expect(connect('/elsewhere', INGEST)).rejects.toThrow('HTTP 404');
  });

  it('answers each ingest message after commit, echoing its id, with per-item codes', async () => {
    const ws = await connect('/ingest', INGEST);
    const answer = next(ws);
    ws.send(JSON.stringify({ id: 'm1', readings: [{ stream: 'ws/a', ts: T0, value: 1 }, { stream: 'ws/a', ts: T0, value: 2 }, { stream: 'ws/b', ts: T0, value: Number.NaN }] }));
    const [a] = await answer;
    expect(a).toMatchObject({ type: 'ack', id: 'm1', accepted: 1, rejected: 2 });
    // NaN does not survive JSON (it becomes null): a non-number, refused as such.
    expect((a.rejections as { code: string }[]).map((r) => r.code)).toEqual(['FC_ERR_TS_DUPLICATE', 'FC_ERR_VALUE_NOT_NUMBER']);
    ws.close();
  });

  it('answers binary frames and broken JSON with codes, and keeps the connection', async () => {
    const ws = await connect('/ingest', INGEST);
    const answers = next(ws, 3);
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('{"stream":');
    ws.send(JSON.stringify({ stream: 'ws/c', ts: T0, value: 3 }));
    const [bin, bad, ok] = await answers;
    expect(bin.code).toBe('FC_ERR_BINARY_FRAME');
    expect(bad.code).toBe('FC_ERR_JSON_INVALID');
    expect(ok).toMatchObject({ type: 'ack', accepted: 1 });
    ws.close();
  });

  it('refuses readings of more streams than one connection may write', async () => {
    const ws = await connect('/ingest', INGEST);
    const answer = next(ws);
    ws.send(JSON.stringify(['p', 'q', 'r', 's'].map((k) => ({ stream: `lim/${k}`, ts: T0, value: 1 }))));
    const [a] = await answer;
    expect(a).toMatchObject({ type: 'ack', accepted: 3, rejected: 1 });
    expect(a.rejections).toEqual([expect.objectContaining({ index: 3, code: 'FC_ERR_TOO_MANY_STREAMS' })]);
    ws.close();
  });

  it('pushes forecasts, with intervals and model version, to subscribers of a key or a glob', async () => {
    const feed = await connect('/feed', FEED);
    const sub = next(feed);
    feed.send(JSON.stringify({ type: 'subscribe', streams: ['plant/*/temp'] }));
    expect((await sub)[0]).toMatchObject({ type: 'subscribed' });
    const pushed = next(feed, 1);
    const ws = await connect('/ingest', INGEST);
    ws.send(JSON.stringify([
      { stream: 'plant/1/temp', ts: T0, value: 20 },
      { stream: 'plant/1/pressure', ts: T0, value: 1000 },
      { stream: 'plant/2/temp', ts: T0, value: 21 },
    ]));
    // One frame per tick, holding that tick's forecasts of the subscribed streams.
    const [frame] = await pushed;
    expect(frame.type).toBe('forecasts');
    const msgs = frame.forecasts as { stream: string; modelVersion: number; points: { horizon: number; mean: number; lower: number; upper: number }[] }[];
    expect(msgs.map((m) => m.stream).sort()).toEqual(['plant/1/temp', 'plant/2/temp']);
    const m = msgs[0];
    expect(m.modelVersion).toBe(1);
    expect(m.points[0].lower).toBeLessThanOrEqual(m.points[0].mean);
    expect(m.points[0].upper).toBeGreaterThanOrEqual(m.points[0].mean);
    const bad = next(feed);
    feed.send(JSON.stringify({ type: 'subscribe', streams: 'plant' }));
    expect((await bad)[0].code).toBe('FC_ERR_FEED_MESSAGE');
    ws.close();
    feed.close();
  });
});
