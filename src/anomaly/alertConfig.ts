import { ConfigError } from '../errors.ts';

/** When an alert opens, escalates and resolves, for the streams a rule's glob matches. */
export interface AlertRule {
  /** Glob on the stream key (`*` any run, `?` one character); the first matching rule wins. */
  readonly pattern: string;
  /** Likelihood at or above which a reading counts towards opening an alert, in (0, 1). */
  readonly open: number;
  /** Likelihood below which a reading counts towards resolving it (hysteresis: at most `open`). */
  readonly close: number;
  /** Readings in a row at or above `open` before the alert opens. */
  readonly minReadings: number;
  /** Readings in a row below `close` before an open alert resolves. */
  readonly resolveReadings: number;
  /** After an alert resolves, no new one opens for this stream for this long (reading time, ms). */
  readonly cooldownMs: number;
  /** Peak likelihood from which the alert is critical rather than warning. */
  readonly critical: number;
  /**
   * Level at or above which a run of repeats opens a stuck-sensor alert, in (0, 1): the run over the stream's
   * longest recent one, x, on the likelihood's scale x / (1 + x) (readingAnomaly.ts `flat`).
   */
  readonly stuck: number;
}

export interface WebhookConfig {
  /** Alertmanager-style receiver URL; empty turns the webhook off. */
  readonly url: string;
  readonly timeoutMs: number;
  /** Attempts per delivery before it goes to the dead-letter table. */
  readonly maxAttempts: number;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export interface AlertConfig {
  /** Rules tried in order; streams no rule matches use the `'*'` rule `DEFAULT_ALERT_RULE`. */
  readonly rules: readonly AlertRule[];
  /** A stream silent for this many of its typical intervals raises a missing-data alert; 0 turns it off. */
  readonly missingAfterIntervals: number;
  /** How often silent streams are looked for, ms. */
  readonly sweepMs: number;
  readonly webhook: WebhookConfig;
  /** MQTT topic alerts are also published to (QoS 1), when MQTT is on; empty: not published. */
  readonly mqttTopic: string;
}

/**
 * The one configuration for all streams, chosen on NAB (see README): an alert
 * opens on the first reading that brings the recent mean forecast error, or the
 * recent mean seasonal error (readingAnomaly.ts), 13 % past the largest of the
 * past week (likelihood 0.53), resolves after 12 quiet readings,
 * and stays quiet for a day after; a stuck-sensor alert opens when a run of
 * repeats is 30 % longer than the stream's longest recent one (level 0.565).
 */
export const DEFAULT_ALERT_RULE: AlertRule = {
  pattern: '*',
  open: 0.53,
  close: 0.5,
  minReadings: 1,
  resolveReadings: 12,
  cooldownMs: 86_400_000,
  critical: 0.8,
  stuck: 0.565,
};

export const DEFAULT_ALERTS: AlertConfig = {
  rules: [DEFAULT_ALERT_RULE],
  missingAfterIntervals: 10,
  sweepMs: 5000,
  webhook: { url: '', timeoutMs: 5000, maxAttempts: 8, backoffMs: 500, maxBackoffMs: 60_000 },
  mqttTopic: 'forecaster/alerts',
};

/**
 * Rules from JSON (FORECASTER_ALERT_RULES): an array of objects with a pattern
 * and any of the rule's fields; missing fields take the default rule's values.
 * The default rule is appended, so every stream has one.
 * @throws ConfigError for malformed JSON or a field out of range.
 */
export function parseAlertRules(json: string): AlertRule[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`FORECASTER_ALERT_RULES is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(raw)) throw new ConfigError('FORECASTER_ALERT_RULES must be a JSON array of rules');
  return [...raw.map((r) => ({ ...DEFAULT_ALERT_RULE, ...(typeof r === 'object' && r !== null ? r : {}) }) as AlertRule), DEFAULT_ALERT_RULE];
}

/** @throws ConfigError naming the first field out of range. */
export function validateAlerts(c: AlertConfig): AlertConfig {
  if (c.rules.length === 0) throw new ConfigError('alerts.rules must hold at least one rule');
  c.rules.forEach((r, i) => {
    const at = `alerts.rules[${i}]`;
    if (typeof r.pattern !== 'string' || r.pattern === '') throw new ConfigError(`${at}.pattern must be a non-empty glob`);
    for (const k of ['open', 'close', 'critical', 'stuck'] as const) {
      if (!(typeof r[k] === 'number' && r[k] > 0 && r[k] < 1)) throw new ConfigError(`${at}.${k} must be in (0, 1); got ${r[k]}`);
    }
    if (r.close > r.open) throw new ConfigError(`${at}.close (${r.close}) must not exceed open (${r.open})`);
    int(`${at}.minReadings`, r.minReadings, 1, 1_000_000);
    int(`${at}.resolveReadings`, r.resolveReadings, 1, 1_000_000);
    int(`${at}.cooldownMs`, r.cooldownMs, 0, 365 * 86_400_000);
  });
  if (!(typeof c.missingAfterIntervals === 'number' && c.missingAfterIntervals >= 0)) {
    throw new ConfigError(`alerts.missingAfterIntervals must be 0 (off) or more; got ${c.missingAfterIntervals}`);
  }
  int('alerts.sweepMs', c.sweepMs, 10, 3_600_000);
  if (c.webhook.url !== '' && !/^https?:\/\//.test(c.webhook.url)) throw new ConfigError(`alerts.webhook.url must be http:// or https://; got ${c.webhook.url}`);
  int('alerts.webhook.timeoutMs', c.webhook.timeoutMs, 1, 600_000);
  int('alerts.webhook.maxAttempts', c.webhook.maxAttempts, 1, 1000);
  int('alerts.webhook.backoffMs', c.webhook.backoffMs, 1, 3_600_000);
  int('alerts.webhook.maxBackoffMs', c.webhook.maxBackoffMs, c.webhook.backoffMs, 86_400_000);
  return c;
}

function int(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${name} must be an integer in [${min}, ${max}]; got ${v}`);
}
