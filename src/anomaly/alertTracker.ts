import type { Forecast } from '../engine/reading.ts';
import { streamCodes } from '../engine/streamCodes.ts';
import type { TickForecasts } from '../engine/tickForecasts.ts';
import { StreamPatterns } from '../serve/streamPattern.ts';
import type { AlertConfig, AlertRule } from './alertConfig.ts';

export type AlertKind = 'anomaly' | 'missing' | 'stuck';
export type AlertSeverity = 'warning' | 'critical';

/**
 * A change in one alert: it opened (`firing`), escalated (`firing` again, same
 * id, higher severity) or resolved. Sinks key on `id`, so a repeat is an update.
 */
export interface AlertEvent {
  readonly type: 'alert';
  readonly id: string;
  readonly status: 'firing' | 'resolved';
  readonly stream: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  /** Reading time (epoch ms) of the reading that opened it (missing: of the last reading seen). */
  readonly openedAt: number;
  readonly resolvedAt: number | null;
  /** Highest likelihood while open. */
  readonly peak: number;
  /** The reading that caused this event, and what was expected (absent for missing-data events). */
  readonly value: number | null;
  readonly expected: { readonly mean: number; readonly lower: number; readonly upper: number } | null;
  readonly summary: string;
}

/** An alert that was open when the service stopped, as the store gives it back. */
export interface RestoredAlert {
  readonly stream: string;
  readonly id: string;
  readonly kind: AlertKind;
  readonly openedAt: number;
  readonly peak: number;
  readonly severity: AlertSeverity;
}

interface OpenAlert {
  id: string;
  kind: AlertKind;
  openedAt: number;
  peak: number;
  severity: AlertSeverity;
}

/** One stream's lifecycle state: all of it, so it can be saved or moved with the stream. */
export interface StreamAlertState {
  above: number;
  below: number;
  /** The open alert, or null. */
  open: OpenAlert | null;
  /** No new anomaly alert before this reading time. */
  quietUntil: number;
  /** Last reading time, its wall-clock arrival and the stream's typical interval (for missing data). */
  lastTs: number;
  seenAt: number;
  interval: number;
}

/** A stream's lifecycle state where the tracker keeps it: with its key, the rule its key matches, and its stuck-sensor alert. */
interface TrackedStream extends StreamAlertState {
  readonly stream: string;
  readonly rule: AlertRule;
  /** The open stuck-sensor alert, or null: apart from `open`, so a stuck sensor neither waits for nor holds back an anomaly alert. */
  stuck: OpenAlert | null;
}

/**
 * The alert lifecycle of every stream: opens after `minReadings` readings in a
 * row at or above the rule's `open` likelihood, escalates to critical when the
 * peak passes `critical`, resolves after `resolveReadings` readings in a row
 * below `close` (hysteresis), then keeps quiet for `cooldownMs` of reading
 * time. One open alert per stream at a time (deduplicated). A stream that goes
 * silent for `missingAfterIntervals` of its typical intervals gets a
 * missing-data alert, resolved by its next reading.
 */
export class AlertTracker {
  /** By the stream key's code (streamCodes.ts): the tick's rows carry codes, so no key is looked up per reading. */
  private readonly states: (TrackedStream | undefined)[] = [];
  private readonly matchers: { rule: AlertRule; patterns: StreamPatterns }[];

  constructor(private readonly config: AlertConfig) {
    this.matchers = config.rules.map((rule) => {
      const patterns = new StreamPatterns();
      patterns.add(rule.pattern);
      return { rule, patterns };
    });
  }

  /** Takes one reading's forecast (in per-stream order); returns the events it causes (usually none). */
  observe(forecasts: TickForecasts, j: number, now: number, events: AlertEvent[] = []): AlertEvent[] {
    const ts = forecasts.ts[j];
    const s = this.states[forecasts.code[j]] ?? this.track(forecasts.code[j], forecasts.stream[j]);
    const { stream, rule } = s;
    const l = forecasts.likelihood[j];
    if (forecasts.horizons.length > 0) {
      const next = forecasts.pointTs[j * forecasts.horizons.length];
      if (!Number.isNaN(next)) s.interval = next - ts;
    }
    s.lastTs = ts;
    s.seenAt = now;
    this.observeStuck(s, forecasts, j, events);
    // The forecast as an object only for the events it causes (few): most readings cause none. (No
    // closure for that here: under tsx every function made is named through defineProperty, ~200 ns.)
    if (s.open !== null && s.open.kind === 'missing') {
      events.push(this.event(stream, s.open, 'resolved', ts, forecasts.forecast(j), 'readings arrive again'));
      s.open = null;
    }
    if (s.open === null) {
      if (ts < s.quietUntil) return events;
      s.above = l >= rule.open ? s.above + 1 : 0;
      if (s.above < rule.minReadings) return events;
      s.open = { id: `${stream}@${ts}`, kind: 'anomaly', openedAt: ts, peak: l, severity: l >= rule.critical ? 'critical' : 'warning' };
      s.below = 0;
      const forecast = forecasts.forecast(j);
      events.push(this.event(stream, s.open, 'firing', null, forecast, describe(forecast)));
      return events;
    }
    const open = s.open;
    if (l > open.peak) open.peak = l;
    if (open.severity === 'warning' && open.peak >= rule.critical) {
      open.severity = 'critical';
      const forecast = forecasts.forecast(j);
      events.push(this.event(stream, open, 'firing', null, forecast, describe(forecast)));
    }
    s.below = l < rule.close ? s.below + 1 : 0;
    if (s.below >= rule.resolveReadings) {
      events.push(this.event(stream, open, 'resolved', ts, forecasts.forecast(j), 'readings are back within the expected range'));
      s.open = null;
      s.above = 0;
      s.quietUntil = ts + rule.cooldownMs;
    }
    return events;
  }

  /**
   * A stuck sensor: opens when the run of repeats over the stream's longest recent one (`flat`,
   * readingAnomaly.ts) reaches the rule's `stuck` on the likelihood's scale (flat / (1 + flat)),
   * resolves at the first reading that differs.
   */
  private observeStuck(s: TrackedStream, forecasts: TickForecasts, j: number, events: AlertEvent[]): void {
    const flat = forecasts.flat[j];
    const level = flat / (1 + flat);
    const ts = forecasts.ts[j];
    if (s.stuck === null) {
      if (level < s.rule.stuck) return;
      s.stuck = { id: `${s.stream}@stuck@${ts}`, kind: 'stuck', openedAt: ts, peak: level, severity: 'warning' };
      const value = forecasts.value[j];
      events.push(this.event(s.stream, s.stuck, 'firing', null, forecasts.forecast(j), `value ${value} repeated for longer than this stream's recent runs of repeats (stuck sensor?)`));
    } else if (flat === 0) {
      events.push(this.event(s.stream, s.stuck, 'resolved', ts, forecasts.forecast(j), 'readings change again'));
      s.stuck = null;
    } else if (level > s.stuck.peak) {
      s.stuck.peak = level;
    }
  }

  /** True while the stream has an alert open, or is in the quiet time after one (at reading time `ts`). */
  isBusy(stream: string, ts: number): boolean {
    const s = this.states[streamCodes.codeOf(stream)];
    return s !== undefined && (s.open !== null || ts < s.quietUntil);
  }

  /** Looks for streams silent past their limit (wall-clock `now`); returns the missing-data alerts it opens. */
  sweep(now: number): AlertEvent[] {
    const factor = this.config.missingAfterIntervals;
    const events: AlertEvent[] = [];
    if (factor <= 0) return events;
    for (const s of this.states) {
      if (s === undefined) continue;
      const stream = s.stream;
      if (s.open !== null || !(s.interval > 0) || now - s.seenAt < factor * s.interval) continue;
      s.open = { id: `${stream}@missing@${s.lastTs}`, kind: 'missing', openedAt: s.lastTs, peak: 1, severity: 'warning' };
      events.push(this.event(stream, s.open, 'firing', null, null, `no reading for ${Math.round((now - s.seenAt) / 1000)} s (typically every ${Math.round(s.interval / 1000)} s)`));
    }
    return events;
  }

  /** Brings back alerts that were open when the service stopped, so they resolve instead of opening twice. */
  restore(open: readonly RestoredAlert[], now: number): void {
    for (const a of open) {
      const code = streamCodes.codeOf(a.stream);
      const s = this.states[code] ?? this.track(code, a.stream);
      const open = { id: a.id, kind: a.kind, openedAt: a.openedAt, peak: a.peak, severity: a.severity };
      if (a.kind === 'stuck') s.stuck = open;
      else s.open = open;
      s.lastTs = a.openedAt;
      s.seenAt = now;
    }
  }

  /** A fresh state for the stream with this code and key, under the first rule whose pattern matches it (else the last). */
  private track(code: number, stream: string): TrackedStream {
    const rule = this.matchers.find((m) => m.patterns.matches(stream))?.rule ?? this.matchers[this.matchers.length - 1].rule;
    const s: TrackedStream = { stream, rule, stuck: null, above: 0, below: 0, open: null, quietUntil: -Infinity, lastTs: -Infinity, seenAt: 0, interval: NaN };
    // Filled up to the code (not a sparse write, which would turn the array into a dictionary).
    while (this.states.length <= code) this.states.push(undefined);
    this.states[code] = s;
    return s;
  }

  private event(stream: string, open: OpenAlert, status: AlertEvent['status'], resolvedAt: number | null, f: Forecast | null, summary: string): AlertEvent {
    const p = f?.prior ?? null;
    return {
      type: 'alert',
      id: open.id,
      status,
      stream,
      kind: open.kind,
      severity: open.severity,
      openedAt: open.openedAt,
      resolvedAt,
      peak: open.peak,
      value: f === null ? null : f.value,
      expected: p === null ? null : { mean: p.mean, lower: p.mean - 1.96 * p.scale, upper: p.mean + 1.96 * p.scale },
      summary,
    };
  }
}

function describe(f: Forecast): string {
  const p = f.prior;
  if (p === null) return `unusual reading ${f.value}`;
  return `reading ${round(f.value)} where ${round(p.mean)} ± ${round(1.96 * p.scale)} was expected (likelihood ${f.anomaly.likelihood.toFixed(3)})`;
}

function round(v: number): string {
  return Number(v.toPrecision(6)).toString();
}
