import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type AlertConfig, type AlertRule, DEFAULT_ALERTS } from '../../src/anomaly/alertConfig.ts';
import { alertEvents } from '../../src/anomaly/alertEvents.ts';
import { type AlertEvent, AlertTracker } from '../../src/anomaly/alertTracker.ts';
import type { Forecast } from '../../src/engine/reading.ts';
import { TickForecasts } from '../../src/engine/tickForecasts.ts';

const MINUTE = 60_000;
const RULE: AlertRule = { pattern: '*', open: 0.6, close: 0.4, minReadings: 2, resolveReadings: 3, cooldownMs: 10 * MINUTE, critical: 0.9, stuck: 0.6 };

function config(rules: AlertRule[] = [RULE], missingAfterIntervals = 0): AlertConfig {
  return { ...DEFAULT_ALERTS, rules, missingAfterIntervals, sweepMs: MINUTE };
}

/** A forecast of `stream` at reading time `ts` (one reading a minute) with the given likelihood. */
function reading(stream: string, ts: number, likelihood: number): Forecast {
  return {
    kind: 'forecast', stream, ts, value: 10, modelVersion: 1,
    prior: { mean: 1, scale: 1 },
    points: [{ horizon: 1, ts: ts + MINUTE, mean: 1, scale: 1, lower: -1, upper: 3 }],
    anomaly: { score: likelihood, likelihood },
  };
}

/** Runs a marble of ticks (each letter one reading of stream "s", one minute apart) through the operator. */
function run(marble: string, likelihoods: Record<string, number>, cfg: AlertConfig, expectFn: (events: AlertEvent[]) => void, streamOf: (letter: string) => string = () => 's') {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  scheduler.run(({ cold }) => {
    let minute = 0;
    const tracker = new AlertTracker(cfg);
    const events: AlertEvent[] = [];
    const ticks = cold<string>(marble).pipe(map((letter) => TickForecasts.fromForecasts([reading(streamOf(letter), ++minute * MINUTE, likelihoods[letter.toLowerCase()])])));
    ticks.pipe(alertEvents(tracker, cfg.sweepMs, scheduler)).subscribe((es) => events.push(...es));
    scheduler.flush();
    expectFn(events);
  });
}

const summary = (events: AlertEvent[]) => events.map((e) => `${e.status}:${e.severity}@${e.openedAt / MINUTE}${e.resolvedAt === null ? '' : `-${e.resolvedAt / MINUTE}`}`);

describe('alert lifecycle', () => {
  it('does not open on a single high reading when two in a row are required', () => {
    run('lhlhl|', { l: 0.1, h: 0.7 }, config(), (events) => expect(events).toEqual([]));
  });

  it('opens once after minReadings in a row and deduplicates the readings that follow', () => {
    run('lhhhhh|', { l: 0.1, h: 0.7 }, config(), (events) => {
      expect(summary(events)).toEqual(['firing:warning@3']);
      expect(events[0].id).toBe('s@180000');
      expect(events[0].summary).toContain('expected');
    });
  });

  it('stays open between close and open (hysteresis) and resolves after resolveReadings below close', () => {
    // h h (opens at 2) m m m (0.5: between close and open, so it stays open) l l l (resolves at 8)
    run('hhmmmlll|', { l: 0.1, m: 0.5, h: 0.7 }, config(), (events) => {
      expect(summary(events)).toEqual(['firing:warning@2', 'resolved:warning@2-8']);
    });
  });

  it('keeps quiet during the cooldown after resolving, then opens again', () => {
    // Opens at 2, resolves at 5; cooldown 10 min: the pair at 6-7 is ignored, the pair at 16-17 opens.
    run('hhlllhhllllllllhh|', { l: 0.1, h: 0.7 }, config(), (events) => {
      expect(summary(events)).toEqual(['firing:warning@2', 'resolved:warning@2-5', 'firing:warning@17']);
    });
  });

  it('escalates an open alert to critical once, under the same id', () => {
    run('hhcch|', { h: 0.7, c: 0.95 }, config(), (events) => {
      expect(summary(events)).toEqual(['firing:warning@2', 'firing:critical@2']);
      expect(new Set(events.map((e) => e.id)).size).toBe(1);
      expect(events[1].peak).toBe(0.95);
    });
  });

  it('applies the first rule whose pattern matches the stream', () => {
    const strict: AlertRule = { ...RULE, pattern: 'pump-*', minReadings: 1 };
    // Letters in capitals are readings of pump-1; the others of fan-1.
    run('hH|', { h: 0.7 }, config([strict, RULE]), (events) => {
      expect(events.map((e) => e.stream)).toEqual(['pump-1']);
    }, (letter) => (letter === letter.toUpperCase() ? 'pump-1' : 'fan-1'));
  });

  it('raises a missing-data alert when a stream falls silent, on virtual time, and resolves it on the next reading', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      const tracker = new AlertTracker(config([RULE], 5));
      // Readings at 0 and 1 min (interval one minute), then silence until 20 min.
      const ticks = cold<TickForecasts>('a 59999ms b 1199999ms c|', {
        a: TickForecasts.fromForecasts([reading('s', 0, 0.1)]),
        b: TickForecasts.fromForecasts([reading('s', MINUTE, 0.1)]),
        c: TickForecasts.fromForecasts([reading('s', 21 * MINUTE, 0.1)]),
      });
      const out = ticks.pipe(alertEvents(tracker, MINUTE, scheduler), map((es) => es.map((e) => `${e.kind}:${e.status}`).join()));
      // Silent since 1 min; 5 intervals later (6 min) the next sweep on the minute fires it; the reading at 21 min resolves it.
      expectObservable(out).toBe('6m x 14m 59999ms y|', { x: 'missing:firing', y: 'missing:resolved' });
    });
  });

  it('raises a stuck-sensor alert apart from the anomaly alert, at the rule\'s stuck level on flat / (1 + flat), resolved by the first changed reading', () => {
    const rule = { ...RULE, minReadings: 1, stuck: 0.65 };
    const tracker = new AlertTracker(config([rule]));
    // (likelihood, flat) per minute: the anomaly alert opens at 2; the run passes open (0.6: flat ≥ 1.5) at 4 but
    // stuck (0.65: flat ≥ 1.86) only at 5, and ends at 6.
    const steps: [number, number][] = [[0.1, 0], [0.7, 0.5], [0.7, 1.2], [0.7, 1.5], [0.7, 2.5], [0.7, 0]];
    const events = steps.flatMap(([likelihood, flat], i) => {
      const tick = TickForecasts.fromForecasts([reading('s', (i + 1) * MINUTE, likelihood)]);
      tick.flat[0] = flat;
      return tracker.observe(tick, 0, (i + 1) * MINUTE);
    });
    expect(events.map((e) => `${e.kind}:${e.status}@${e.openedAt / MINUTE}${e.resolvedAt === null ? '' : `-${e.resolvedAt / MINUTE}`}`)).toEqual([
      'anomaly:firing@2',
      'stuck:firing@5',
      'stuck:resolved@5-6',
    ]);
    const stuck = events[2];
    expect(stuck.id).toBe('s@stuck@300000');
    expect(stuck.peak).toBeCloseTo(2.5 / 3.5, 12);
    // Restored after a restart, an open stuck alert resolves on the next changed reading instead of opening twice.
    const again = new AlertTracker(config([{ ...RULE, minReadings: 1 }]));
    again.restore([{ stream: 's', id: 's@stuck@240000', kind: 'stuck', openedAt: 4 * MINUTE, peak: 0.7, severity: 'warning' }], 0);
    const tick = TickForecasts.fromForecasts([reading('s', 7 * MINUTE, 0.1)]);
    expect(again.observe(tick, 0, 7 * MINUTE).map((e) => `${e.kind}:${e.status}:${e.id}`)).toEqual(['stuck:resolved:s@stuck@240000']);
  });
});
