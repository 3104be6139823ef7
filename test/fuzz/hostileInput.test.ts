import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openDatabase } from '../../src/store/openDatabase.ts';
import { tempDir } from '../support/tempDir.ts';

const BIN = fileURLToPath(new URL('../../bin/forecaster.js', import.meta.url));
const TOKEN = 'fuzz-token-ingest-0123456789';
const tmp = tempDir('forecaster-fuzz');
const prefix = `fuzz-${process.pid}-${Date.now()}`;
const T0 = Date.UTC(2026, 8, 1);

/** Seeded generator, so a failing payload can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
const rand = rng(20261128);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

let clock = 0;
/** A valid reading that must be stored; each has its own (stream, ts). */
const valid = (channel: string, expected: Set<string>) => {
  const r = { stream: `${channel}/s${Math.floor(rand() * 50)}`, ts: T0 + ++clock * 1000, value: rand() * 100 };
  expected.add(`${r.stream}@${r.ts}`);
  return r;
};
const hostileItems: (() => unknown)[] = [
  () => ({ stream: 'x', ts: T0, value: 'abc' }),
  () => ({ stream: 42, ts: T0, value: 1 }),
  () => ({ stream: '', ts: T0, value: 1 }),
  () => ({ stream: 'k'.repeat(5000), ts: T0, value: 1 }),
  () => ({ stream: 'x', ts: 'not a time', value: 1 }),
  () => ({ stream: 'x', ts: -1, value: 1 }),
  () => ({ stream: 'x', value: 1 }),
  () => ({ stream: 'x', ts: T0, value: null }),
  () => ({ stream: 'x', ts: T0, value: { nested: [1, 2] } }),
  () => ({ stream: 'x', ts: T0, value: 1, tags: 'no' }),
  () => null,
  () => 'string',
  () => [1, [2, [3]]],
  () => ({ __proto__: { polluted: true }, stream: 'x', ts: T0, value: 1, constructor: 1 }),
];
/** Raw payload texts that are broken or hostile as a whole. */
const hostileTexts: (() => string)[] = [
  () => '{"stream": "x", "ts": ',
  () => 'NaN',
  () => '[{"stream":"x","ts":1,"value":1e999}]',
  () => '['.repeat(20_000) + ']'.repeat(20_000),
  () => String.fromCharCode(...Array.from({ length: 64 }, () => Math.floor(rand() * 256))),
  () => '',
  () => '"just a string"',
  () => JSON.stringify(Array.from({ length: 20_001 }, () => ({ stream: 'x', ts: 1, value: 1 }))),
  () => '{"readings": 5}',
];

/** A mixed batch: hostile items around valid ones, or a hostile text. */
function payload(channel: string, expected: Set<string>): string {
  if (rand() < 0.3) return pick(hostileTexts)();
  const items: unknown[] = [];
  const n = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) items.push(rand() < 0.5 ? valid(channel, expected) : pick(hostileItems)());
  return JSON.stringify(items);
}

let child: ChildProcess;
let url = '';
let stderr = '';
const db = tmp.path('fuzz.db');

beforeAll(async () => {
  child = spawn(process.execPath, [BIN, 'run', '--port', '0', '--db', db, '--stats-interval', '0', '--max-wait-ms', '2'], {
    env: { ...process.env, FORECASTER_TOKENS: `${TOKEN}:ingest`, FORECASTER_SIM_STREAMS: '1', FORECASTER_SIM_TICK_MS: '3600000', FORECASTER_MQTT_URL: 'mqtt://127.0.0.1:1883', FORECASTER_MQTT_TOPICS: `${prefix}/in/#`, FORECASTER_MQTT_STRIP_PREFIX: `${prefix}/in/`, FORECASTER_MQTT_CLIENT_ID: `${prefix}-service` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`service exited early (${code}): ${stderr}`)));
  });
});

afterAll(async () => {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  tmp.remove();
});

describe('hostile input over HTTP, WebSocket and MQTT', () => {
  it('answers every one of 10,000 payloads with a code, never crashes, and stores every valid item', { timeout: 180_000 }, async () => {
    const expected = new Set<string>();
    const answered = { http: 0, ws: 0 };

    // HTTP: 4,000 requests, 8 at a time; some with wrong or missing tokens. Each of the 8 lanes has
    // its own streams, so concurrent requests cannot reorder one stream's readings.
    const httpPayloads = Array.from({ length: 4000 }, (_, i) => ({ body: payload(`http${i % 8}`, expected), auth: rand() < 0.05 ? pick(['Bearer wrong', '', 'Basic abc']) : `Bearer ${TOKEN}` }));
    // A payload sent with a bad token is refused whole: its valid items are not expected.
    for (let i = 0; i < httpPayloads.length; i += 8) {
      await Promise.all(
        httpPayloads.slice(i, i + 8).map(async (p) => {
          const res = await fetch(`${url}/api/v1/readings`, { method: 'POST', body: p.body, headers: { 'content-type': 'application/json', ...(p.auth ? { authorization: p.auth } : {}) } });
          const body = (await res.json()) as { code?: string; accepted?: number };
          if (res.status === 200) expect(typeof body.accepted).toBe('number');
          else expect(body.code).toMatch(/^FC_ERR_/);
          if (p.auth !== `Bearer ${TOKEN}`) expect(res.status).toBe(401);
          answered.http++;
        }),
      );
    }
    for (const p of httpPayloads) {
      if (p.auth === `Bearer ${TOKEN}`) continue;
      try {
        for (const r of JSON.parse(p.body) as ({ stream?: string; ts?: number } | null)[]) expected.delete(`${r?.stream}@${r?.ts}`);
      } catch {
        // not a batch: nothing was expected of it
      }
    }

    // WebSocket: 4,000 messages, text and binary, each answered on the same connection.
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ingest?token=${TOKEN}`);
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    const wsAnswers = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { type: string; code?: string };
        expect(m.type === 'ack' || /^FC_ERR_/.test(m.code ?? '')).toBe(true);
        if (++answered.ws === 4000) resolve();
      });
    });
    for (let i = 0; i < 4000; i++) {
      if (rand() < 0.05) ws.send(Buffer.from([0xff, 0x00, i & 0xff]));
      else ws.send(payload('ws', expected));
    }
    await wsAnswers;
    ws.close();

    // MQTT: 2,000 messages, bare numbers, JSON and junk; refusals come back on the reject topic.
    const pub = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: `${prefix}-pub` });
    let mqttRejected = 0;
    await pub.subscribeAsync('forecaster/rejections', { qos: 1 });
    pub.on('message', (_t, msg) => {
      const m = JSON.parse(msg.toString()) as { topic: string; code: string };
      if (m.topic.startsWith(prefix)) {
        expect(m.code).toMatch(/^FC_ERR_/);
        mqttRejected++;
      }
    });
    let mqttValid = 0;
    let mqttBad = 0;
    for (let i = 0; i < 2000; i++) {
      const stream = `mq${i % 20}`;
      if (rand() < 0.5) {
        mqttValid++;
        const ts = T0 + ++clock * 1000;
        expected.add(`${stream}@${ts}`);
        await pub.publishAsync(`${prefix}/in/${stream}`, JSON.stringify({ value: rand(), ts }), { qos: 1 });
      } else {
        mqttBad++;
        await pub.publishAsync(`${prefix}/in/${stream}`, pick(['abc', '{"value":"x"}', '{"value":1,"ts":"yesterday"}', '[1,2]', '{"value":1e999}', 'k'.repeat(70_000)]), { qos: 1 });
      }
    }
    const deadline = Date.now() + 20_000;
    while (mqttRejected < mqttBad && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await pub.endAsync();
    expect(mqttRejected).toBe(mqttBad);
    expect(answered.http + answered.ws + mqttValid + mqttBad).toBeGreaterThanOrEqual(10_000);

    // Still alive and well.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(child.exitCode).toBeNull();
    // Every valid item is stored (the service commits before it answers).
    await new Promise((r) => setTimeout(r, 500));
    const conn = openDatabase(db, { readonly: true });
    const stored = new Set((conn.prepare('SELECT s.key AS k, r.ts AS ts FROM readings r JOIN streams s ON s.id = r.stream_id').all() as { k: string; ts: number }[]).map((r) => `${r.k}@${r.ts}`));
    conn.close();
    const missing = [...expected].filter((e) => !stored.has(e));
    expect(missing).toEqual([]);
    expect(stderr).toBe('');
  });
});
