import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { Observable } from 'rxjs';
import { RejectCode } from '../errors.ts';
import type { Tick } from '../engine/stepTicks.ts';
import { normaliseReading } from './normaliseReading.ts';

export interface MqttSourceOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  readonly url: string;
  /** Topic filters to subscribe to (QoS 1). */
  readonly topics: readonly string[];
  /** Removed from the front of a topic to make the stream key (the whole topic otherwise). */
  readonly stripPrefix: string;
  /** Where refusals are published, one JSON message each: {topic, code, message}. */
  readonly rejectTopic: string;
  readonly clientId: string;
  readonly maxPayloadBytes: number;
  readonly log: Logger;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Readings from MQTT: every message on the subscribed topics is one reading of
 * the stream named by its topic (less `stripPrefix`). The payload is a bare
 * number (read at arrival time), or JSON: a number, or {value, ts?, tags?}.
 * QoS 1 with a persistent session, so the broker keeps messages while the
 * service is away; reconnects back off exponentially up to 30 s. A message that
 * is not a reading is answered on `rejectTopic` with its code.
 */
export class MqttSource {
  private client: MqttClient | null = null;
  private readonly topics = new WeakMap<object, string>();

  constructor(private readonly opts: MqttSourceOptions) {}

  /** Answers, on the reject topic, the readings of this source that the engine refused. */
  committed(tick: Tick): void {
    for (const { index, code, message } of tick.rejected) {
      const r = tick.readings[index];
      const topic = typeof r === 'object' && r !== null ? this.topics.get(r) : undefined;
      if (topic !== undefined) this.reject(topic, code, message);
    }
  }

  /** Publishes each alert event as JSON on `topic` (QoS 1; the client queues while reconnecting). */
  publishAlerts(topic: string, events: readonly object[]): void {
    for (const e of events) this.client?.publish(topic, JSON.stringify(e), { qos: 1 });
  }

  readings(): Observable<unknown> {
    return mqttReadings(this.opts, (c) => (this.client = c), (r, topic) => this.topics.set(r, topic), (t, c, m) => this.reject(t, c, m));
  }

  private reject(topic: string, code: string, message: string): void {
    this.opts.log.debug({ topic, code }, 'mqtt message refused');
    this.client?.publish(this.opts.rejectTopic, JSON.stringify({ topic, code, message }), { qos: 0 });
  }
}

function mqttReadings(
  opts: MqttSourceOptions,
  onClient: (c: MqttClient) => void,
  onReading: (r: object, topic: string) => void,
  reject: (topic: string, code: string, message: string) => void,
): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let backoff = 500;
    const client: MqttClient = mqtt.connect(opts.url, { clientId: opts.clientId, clean: false, reconnectPeriod: backoff, connectTimeout: 10_000 });
    onClient(client);
    client.on('connect', () => {
      backoff = 500;
      client.options.reconnectPeriod = backoff;
      opts.log.info({ url: opts.url, topics: opts.topics }, 'mqtt connected');
      client.subscribe([...opts.topics], { qos: 1 }, (err) => {
        if (err) opts.log.error({ err }, 'mqtt subscribe failed');
      });
    });
    client.on('close', () => {
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      client.options.reconnectPeriod = backoff;
    });
    client.on('error', (err) => opts.log.warn({ err: err.message }, 'mqtt error'));
    client.on('message', (topic, payload) => {
      if (topic === opts.rejectTopic) return;
      const stream = topic.startsWith(opts.stripPrefix) ? topic.slice(opts.stripPrefix.length) : topic;
      if (payload.length > opts.maxPayloadBytes) return reject(topic, RejectCode.PAYLOAD_TOO_LARGE, `payload of ${payload.length} bytes; the limit is ${opts.maxPayloadBytes}`);
      const reading = parsePayload(stream, payload.toString('utf8'));
      if ('code' in reading) return reject(topic, reading.code, reading.message);
      onReading(reading.reading, topic);
      subscriber.next(reading.reading);
    });
    return () => {
      client.end(true);
    };
  });
}

function parsePayload(stream: string, text: string): { reading: Record<string, unknown> } | { code: string; message: string } {
  const trimmed = text.trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return { reading: { stream, ts: Date.now(), value: Number(trimmed) } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return { code: RejectCode.JSON_INVALID, message: 'payload is neither a number nor JSON' };
  }
  if (typeof parsed === 'number') return { reading: { stream, ts: Date.now(), value: parsed } };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { code: RejectCode.VALUE_NOT_NUMBER, message: 'JSON payload must be a number or {"value": …}' };
  const p = parsed as Record<string, unknown>;
  const reading: Record<string, unknown> = { stream, ts: p.ts ?? Date.now(), value: p.value };
  if (p.tags !== undefined) reading.tags = p.tags;
  const problem = normaliseReading(reading);
  return problem === null ? { reading } : problem;
}
