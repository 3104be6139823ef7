import { type Logger, pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ALERT_LINES_PER_BATCH, logAlertEvents } from '../../src/anomaly/alertLog.ts';
import type { AlertEvent } from '../../src/anomaly/alertTracker.ts';

function event(i: number, status: 'firing' | 'resolved', severity: 'warning' | 'critical'): AlertEvent {
  return {
    type: 'alert', id: `s-${i}@0`, status, stream: `s-${i}`, kind: 'anomaly', severity, openedAt: 0, resolvedAt: status === 'resolved' ? 1 : null,
    peak: 0.999, value: 1, expected: { mean: 0, lower: -1, upper: 1 }, summary: `event ${i}`,
  };
}

/** A real pino logger at `level`, its JSON lines collected. */
function collect(level: 'info' | 'debug'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

describe('alert logging', () => {
  it('logs a small batch a line per event, at info', () => {
    const { log, lines } = collect('info');
    const events = [event(0, 'firing', 'warning'), event(1, 'resolved', 'critical'), event(2, 'firing', 'critical')];
    logAlertEvents(log, events);
    expect(lines.map((l) => [l.level, l.msg, l.stream, l.severity])).toEqual(events.map((e) => [30, `alert ${e.status}`, e.stream, e.severity]));
  });

  it('logs a storm as a bounded number of info lines plus a summary that counts the rest, which go to debug', () => {
    const events = Array.from({ length: 5000 }, (_, i) => event(i, i % 5 === 0 ? 'resolved' : 'firing', i % 2 === 0 ? 'critical' : 'warning'));
    const info = collect('info');
    logAlertEvents(info.log, events);
    expect(info.lines).toHaveLength(ALERT_LINES_PER_BATCH + 1);
    expect(info.lines.slice(0, ALERT_LINES_PER_BATCH).map((l) => l.stream)).toEqual(events.slice(0, ALERT_LINES_PER_BATCH).map((e) => e.stream));
    const summary = info.lines[ALERT_LINES_PER_BATCH];
    const rest = events.slice(ALERT_LINES_PER_BATCH);
    const want: Record<string, number> = {};
    for (const e of rest) want[`${e.status}/${e.severity}`] = (want[`${e.status}/${e.severity}`] ?? 0) + 1;
    expect(summary).toMatchObject({ level: 30, more: rest.length, counts: want });
    // At debug every event has its line.
    const debug = collect('debug');
    logAlertEvents(debug.log, events);
    expect(debug.lines.filter((l) => typeof l.stream === 'string').map((l) => l.stream)).toEqual(events.map((e) => e.stream));
  });
});
