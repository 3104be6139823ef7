import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { alertmanagerPayload } from '../../src/anomaly/alertmanagerPayload.ts';
import type { AlertEvent } from '../../src/anomaly/alertTracker.ts';
import { WebhookDelivery } from '../../src/anomaly/webhookDelivery.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-webhook');
let server: Server | null = null;
let store: Store | null = null;
let delivery: WebhookDelivery | null = null;

afterEach(async () => {
  delivery?.stop();
  store?.close();
  if (server !== null) await new Promise((r) => server?.close(r));
  server = delivery = store = null;
});

/** A receiver on 127.0.0.1:0 that answers `status(n)` to its n-th request (from 0) and keeps the bodies it accepted. */
async function receiver(status: (n: number) => number): Promise<{ url: string; accepted: Record<string, unknown>[]; requests: () => number }> {
  const accepted: Record<string, unknown>[] = [];
  let n = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const code = status(n++);
      if (code === 200) accepted.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, accepted, requests: () => n };
}

/** Each alert opens, then resolves: 2 events per alert, in order. */
function events(alerts: number): AlertEvent[] {
  const out: AlertEvent[] = [];
  for (let i = 0; i < alerts; i++) {
    const base = { type: 'alert' as const, id: `s${i}@${1000 + i}`, stream: `s${i}`, kind: 'anomaly' as const, severity: 'warning' as const, openedAt: 1000 + i, peak: 0.7, value: 5, expected: { mean: 1, lower: 0, upper: 2 }, summary: 'x' };
    out.push({ ...base, status: 'firing', resolvedAt: null }, { ...base, status: 'resolved', resolvedAt: 9000 + i });
  }
  return out;
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const count = (table: string) => (store?.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('alert webhook delivery', () => {
  it('delivers every alert event exactly once, in order, through a receiver that fails for a while', async () => {
    const rx = await receiver((n) => (n < 7 ? 503 : 200)); // the first 7 requests fail
    store = Store.open(tmp.path('a.db'));
    const evs = events(10);
    store.alerts.write(evs, evs.map((e) => alertmanagerPayload(e, 'http://forecaster.test')), Date.now());
    delivery = new WebhookDelivery(store.alerts, { url: rx.url, timeoutMs: 2000, maxAttempts: 20, backoffMs: 5, maxBackoffMs: 40 }, pino({ level: 'silent' }));
    delivery.kick();
    await until(() => count('alert_outbox') === 0);
    const got = rx.accepted.map((m) => `${(m.alerts as { labels: { stream: string } }[])[0].labels.stream}:${m.status as string}`);
    expect(got).toEqual(evs.map((e) => `${e.stream}:${e.status}`));
    expect(rx.requests()).toBe(evs.length + 7);
    expect(count('alert_dead_letters')).toBe(0);
    // Alertmanager webhook v4, as receivers expect it.
    const first = rx.accepted[0] as { version: string; status: string; alerts: { status: string; labels: Record<string, string>; startsAt: string; endsAt: string; fingerprint: string }[] };
    expect(first.version).toBe('4');
    expect(first.alerts[0].labels).toMatchObject({ alertname: 'ForecasterAnomaly', stream: 's0', severity: 'warning' });
    expect(first.alerts[0].startsAt).toBe(new Date(1000).toISOString());
    expect(first.alerts[0].endsAt).toBe('0001-01-01T00:00:00Z');
    expect((rx.accepted[1] as typeof first).alerts[0].endsAt).toBe(new Date(9000).toISOString());
  });

  it('never offers a later delivery while an earlier one waits for its retry', () => {
    store = Store.open(tmp.path('order.db'));
    const evs = events(2);
    const t = 1_000_000;
    store.alerts.write(evs, evs.map((e) => alertmanagerPayload(e, 'http://x')), t);
    const [first, ...rest] = store.alerts.due(t, 100);
    expect(rest).toHaveLength(3);
    store.alerts.failed(first.id, 1, 'HTTP 503', t + 100, false, t);
    // A retry timer that fires a moment early must find nothing to send, not the later events.
    expect(store.alerts.due(t + 99, 100)).toEqual([]);
    expect(store.alerts.nextAttemptAt()).toBe(t + 100);
    expect(store.alerts.due(t + 100, 100).map((r) => r.id)).toEqual([first.id, ...rest.map((r) => r.id)]);
  });

  it('keeps deliveries across a restart: a new delivery drains what the last one left', async () => {
    const rx = await receiver(() => 200);
    store = Store.open(tmp.path('b.db'));
    const evs = events(3);
    store.alerts.write(evs, evs.map((e) => alertmanagerPayload(e, 'http://x')), Date.now());
    store.close();
    store = Store.open(tmp.path('b.db')); // as after a restart, before anything was sent
    delivery = new WebhookDelivery(store.alerts, { url: rx.url, timeoutMs: 2000, maxAttempts: 3, backoffMs: 5, maxBackoffMs: 10 }, pino({ level: 'silent' }));
    delivery.kick();
    await until(() => count('alert_outbox') === 0);
    expect(rx.accepted).toHaveLength(6);
  });

  it('moves a delivery that keeps failing to the dead-letter table, losing none', async () => {
    const rx = await receiver(() => 500);
    store = Store.open(tmp.path('c.db'));
    const evs = events(2);
    store.alerts.write(evs, evs.map((e) => alertmanagerPayload(e, 'http://x')), Date.now());
    delivery = new WebhookDelivery(store.alerts, { url: rx.url, timeoutMs: 2000, maxAttempts: 3, backoffMs: 5, maxBackoffMs: 10 }, pino({ level: 'silent' }));
    delivery.kick();
    await until(() => count('alert_outbox') === 0);
    expect(count('alert_dead_letters')).toBe(4);
    expect(rx.requests()).toBe(4 * 3);
    const dead = store.db.prepare('SELECT attempts, last_error AS error FROM alert_dead_letters').all() as { attempts: number; error: string }[];
    expect(dead.every((d) => d.attempts === 3 && d.error === 'HTTP 500')).toBe(true);
  });

  it('stores each alert once however many events it has: escalation and resolution update its row', () => {
    store = Store.open(tmp.path('d.db'));
    const [firing, resolved] = events(1);
    store.alerts.write([firing], null, 0);
    store.alerts.write([{ ...firing, severity: 'critical', peak: 0.95 }], null, 0);
    expect(store.alerts.openAlerts()).toEqual([{ stream: 's0', id: 's0@1000', kind: 'anomaly', openedAt: 1000, peak: 0.95, severity: 'critical' }]);
    store.alerts.write([resolved], null, 0);
    const rows = store.db.prepare('SELECT resolved_at AS r, severity, score FROM alerts').all();
    // Severity and peak never go down.
    expect(rows).toEqual([{ r: 9000, severity: 'critical', score: 0.95 }]);
    expect(store.alerts.openAlerts()).toEqual([]);
  });
});
