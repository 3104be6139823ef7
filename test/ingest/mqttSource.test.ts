import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Service, startService } from '../../src/serve/service.ts';
import { tempDir } from '../support/tempDir.ts';

const BROKER = 'mqtt://127.0.0.1:1883';
const tmp = tempDir('forecaster-mqtt');
const prefix = `fc-test-${process.pid}-${Date.now()}`;
let service: Service;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MQTT ingest (real Mosquitto broker)', () => {
  beforeAll(async () => {
    const config = loadConfig(
      {
        store: { path: tmp.path('mqtt.db') },
        statsIntervalS: 0,
        engine: { maxWaitMs: 2 },
        server: { port: 0 },
        mqtt: { url: BROKER, topics: [`${prefix}/sensors/#`], stripPrefix: `${prefix}/sensors/`, rejectTopic: `${prefix}/rejections`, clientId: `${prefix}-service` },
      },
      {},
    );
    service = await startService(config, pino({ level: 'silent' }), { simulate: false });
  });

  afterAll(async () => {
    await service.stop();
    tmp.remove();
  });

  it('maps topics to streams, takes bare numbers and JSON, and answers bad payloads with codes on the reject topic', async () => {
    const producer = await mqtt.connectAsync(BROKER, { clientId: `${prefix}-producer` });
    const rejections: { topic: string; code: string }[] = [];
    await producer.subscribeAsync(`${prefix}/rejections`, { qos: 1 });
    producer.on('message', (_t, payload) => rejections.push(JSON.parse(payload.toString())));
    // Give the service's subscription a moment on a fresh broker session.
    await sleep(300);
    const t0 = Date.UTC(2026, 6, 1);
    await producer.publishAsync(`${prefix}/sensors/hall/temp`, '21.5', { qos: 1 });
    await producer.publishAsync(`${prefix}/sensors/hall/hum`, JSON.stringify({ value: 40, ts: t0, tags: { unit: '%' } }), { qos: 1 });
    await producer.publishAsync(`${prefix}/sensors/hall/hum`, JSON.stringify({ value: 41, ts: new Date(t0 + 60_000).toISOString() }), { qos: 1 });
    await producer.publishAsync(`${prefix}/sensors/bad/text`, 'twenty', { qos: 1 });
    await producer.publishAsync(`${prefix}/sensors/bad/type`, JSON.stringify({ value: 'x' }), { qos: 1 });
    await producer.publishAsync(`${prefix}/sensors/hall/hum`, JSON.stringify({ value: 42, ts: t0 }), { qos: 1 });
    const deadline = Date.now() + 10_000;
    const readings = () => (service.app.store.db.prepare("SELECT count(*) AS n FROM readings r JOIN streams s ON s.id = r.stream_id WHERE s.key LIKE 'hall/%'").get() as { n: number }).n;
    while ((readings() < 3 || rejections.length < 3) && Date.now() < deadline) await sleep(50);
    expect(readings()).toBe(3);
    expect(service.app.engine.table.slotOf('hall/temp')).toBeGreaterThanOrEqual(0);
    expect(rejections.map((r) => [r.topic.slice(prefix.length + 1), r.code]).sort()).toEqual([
      ['sensors/bad/text', 'FC_ERR_JSON_INVALID'],
      ['sensors/bad/type', 'FC_ERR_VALUE_NOT_NUMBER'],
      ['sensors/hall/hum', 'FC_ERR_TS_OUT_OF_ORDER'],
    ]);
    await producer.endAsync();
  });
});
