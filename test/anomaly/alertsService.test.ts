import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadConfig } from '../../src/config.ts';
import { type Service, startService } from '../../src/serve/service.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-alerts');
const T0 = Date.UTC(2026, 5, 1);
const MINUTE = 60_000;
let service: Service;
let hook: Server;
const hooked: { status: string; alerts: { labels: Record<string, string>; annotations: Record<string, string> }[] }[] = [];
const fed: { stream: string; status: string; value: number | null }[] = [];
let feed: WebSocket;

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('alerts in the running service', () => {
  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooked.push(JSON.parse(body) as (typeof hooked)[number]);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const webhook = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
    const config = loadConfig({ store: { path: tmp.path('alerts.db') }, statsIntervalS: 0, engine: { maxWaitMs: 2 }, server: { port: 0 }, alerts: { webhook: { url: webhook } } }, {});
    service = await startService(config, pino({ level: 'silent' }), { simulate: false });
    feed = new WebSocket(`${service.url.replace('http', 'ws')}/feed`);
    await new Promise((r, j) => feed.once('open', r).once('error', j));
    feed.send(JSON.stringify({ type: 'subscribe', streams: ['pump-*'] }));
    await new Promise((r) => feed.once('message', r));
    feed.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; alerts?: (typeof fed)[number][] };
      if (m.type === 'alerts') fed.push(...(m.alerts ?? []));
    });
  });

  afterAll(async () => {
    feed.close();
    await service.stop();
    await new Promise((r) => hook.close(r));
    tmp.remove();
  });

  it('turns a reading far outside its forecast into an alert on the feed, in the store and at the webhook', async () => {
    // Two hours of a smooth daily-ish signal, then one reading far off it.
    const readings = [];
    for (let i = 0; i < 120; i++) readings.push({ stream: 'pump-7', ts: T0 + i * MINUTE, value: 20 + 2 * Math.sin(i / 10) });
    readings.push({ stream: 'pump-7', ts: T0 + 120 * MINUTE, value: 400 });
    readings.push({ stream: 'fan-1', ts: T0, value: 1 });
    const res = await fetch(`${service.url}/api/v1/readings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(readings) });
    expect(((await res.json()) as { accepted: number }).accepted).toBe(122);

    const isSpike = (v: number | string | null | undefined) => Number(v) === 400;
    await until(() => fed.some((a) => isSpike(a.value)) && hooked.some((h) => isSpike(h.alerts[0].annotations.value)));
    const onFeed = fed.find((a) => isSpike(a.value));
    expect(onFeed).toMatchObject({ stream: 'pump-7', status: 'firing' });
    const atHook = hooked.find((h) => isSpike(h.alerts[0].annotations.value));
    expect(atHook?.alerts[0].labels).toMatchObject({ alertname: 'ForecasterAnomaly', stream: 'pump-7' });
    const stored = (await (await fetch(`${service.url}/api/v1/alerts?open=true`)).json()) as { alerts: { stream: string; opened_at?: number; openedAt?: number }[] };
    expect(stored.alerts.some((a) => a.stream === 'pump-7')).toBe(true);
    // The feed client subscribed to pump-* only.
    expect(fed.every((a) => a.stream.startsWith('pump-'))).toBe(true);
  });
});
