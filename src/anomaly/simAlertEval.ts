import type { SimulatorConfig } from '../config.ts';
import type { Engine } from '../engine/engine.ts';
import { stepTick } from '../engine/stepTicks.ts';
import { type AnomalyKind, type InjectedAnomaly, Simulator } from '../sim/simulator.ts';
import type { AlertConfig } from './alertConfig.ts';
import { type AlertKind, AlertTracker } from './alertTracker.ts';

/** An alert opening on a stream this long (simulated time) after an anomaly was injected there answers it. */
export const NEAR_MS = 3_600_000;
/** The injected kinds scored: a dropout's alert is a missing-data one, raised on wall-clock time, not here. */
export const SCORED_KINDS: readonly AnomalyKind[] = ['spike', 'level-shift', 'noise-burst', 'stuck'];

export interface OpenedAlert {
  readonly stream: string;
  readonly kind: AlertKind;
  readonly ts: number;
}

export interface SimAlertFigures {
  readonly streams: number;
  readonly rounds: number;
  readonly simulatedHours: number;
  /** Anomaly alerts opened, and those not answering any injected anomaly. */
  readonly opened: number;
  readonly away: number;
  /** The same for stuck-sensor alerts. */
  readonly stuckOpened: number;
  readonly stuckAway: number;
  /** Per scored kind: anomalies injected, and those some alert (anomaly or stuck) answered. */
  readonly injected: Readonly<Record<string, number>>;
  readonly found: Readonly<Record<string, number>>;
  readonly seconds: number;
}

/** Whether `alert` opened on the stream of an injected anomaly, at or after it and within NEAR_MS. */
export function answers(alert: OpenedAlert, anomaly: InjectedAnomaly): boolean {
  return alert.stream === anomaly.stream && alert.ts >= anomaly.ts && alert.ts - anomaly.ts <= NEAR_MS;
}

/**
 * Runs the simulator's fleet through the engine and the alert lifecycle, as the
 * live service does, for `rounds` rounds as fast as possible, and scores the
 * alerts against the anomalies the simulator injected: which were answered by an
 * alert within NEAR_MS, and how many alerts answered none (false alerts).
 */
export function runSimAlertEval(
  engine: Engine,
  alerts: AlertConfig,
  sim: SimulatorConfig,
  rounds: number,
  coverage: number,
  startTs: number,
  progress: (done: number, total: number) => void,
): SimAlertFigures {
  const started = Date.now();
  const injected: InjectedAnomaly[] = [];
  const simulator = new Simulator(sim, startTs, (a) => injected.push(a));
  const tracker = new AlertTracker(alerts);
  const opened: OpenedAlert[] = [];
  const ids = new Set<string>();
  for (let r = 0; r < rounds; r++) {
    const { forecasts } = stepTick(engine, simulator.nextRound(), coverage);
    for (let j = 0; j < forecasts.count; j++) {
      for (const e of tracker.observe(forecasts, j, forecasts.ts[j])) {
        // An escalation fires again under the same id: one alert.
        if (e.status !== 'firing' || ids.has(e.id)) continue;
        ids.add(e.id);
        opened.push({ stream: e.stream, kind: e.kind, ts: e.openedAt });
      }
    }
    if (r % 100 === 0 || r === rounds - 1) progress(r + 1, rounds);
  }
  const byStream = byStreamOf(injected);
  const isAway = (o: OpenedAlert) => !(byStream.get(o.stream) ?? []).some((a) => answers(o, a));
  const alertsOf = byStreamOf(opened);
  const count: Record<string, number> = {};
  const found: Record<string, number> = {};
  for (const kind of SCORED_KINDS) {
    const of = injected.filter((a) => a.kind === kind);
    count[kind] = of.length;
    found[kind] = of.filter((a) => (alertsOf.get(a.stream) ?? []).some((o) => answers(o, a))).length;
  }
  const anomalyAlerts = opened.filter((o) => o.kind === 'anomaly');
  const stuckAlerts = opened.filter((o) => o.kind === 'stuck');
  return {
    streams: sim.streams,
    rounds,
    simulatedHours: (rounds * sim.intervalMs) / 3_600_000,
    opened: anomalyAlerts.length,
    away: anomalyAlerts.filter(isAway).length,
    stuckOpened: stuckAlerts.length,
    stuckAway: stuckAlerts.filter(isAway).length,
    injected: count,
    found,
    seconds: (Date.now() - started) / 1000,
  };
}

/** The items by their stream, each stream's in their order. */
function byStreamOf<T extends { readonly stream: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const of = out.get(item.stream);
    if (of === undefined) out.set(item.stream, [item]);
    else of.push(item);
  }
  return out;
}
