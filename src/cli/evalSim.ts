import type { Logger } from 'pino';
import { runSimAlertEval, SCORED_KINDS } from '../anomaly/simAlertEval.ts';
import type { Config } from '../config.ts';
import { progressBar } from './progressBar.ts';
import { withEngine } from './withEngine.ts';

/** The simulated fleet's first reading: a Monday, 00:00 UTC, so runs compare hour for hour. */
const START_TS = Date.UTC(2026, 0, 5);

/**
 * `forecaster eval sim [--rounds N] [--streams N] [--seed N] [--json]`: the
 * simulator's fleet through the engine and the alert lifecycle, scored against
 * the anomalies it injected. With `json`, the last line is the figures as one
 * JSON object.
 */
export async function evalSim(config: Config, log: Logger, rounds: number, json: boolean): Promise<void> {
  await withEngine(config, log, (engine) => {
    const sim = config.simulator;
    const r = runSimAlertEval(engine, config.alerts, sim, rounds, config.engine.intervalCoverage, START_TS, progressBar('eval sim'));
    const out = process.stdout;
    out.write(`\n${r.streams} simulated streams, ${r.rounds} rounds (${r.simulatedHours.toFixed(1)} simulated hours, seed ${sim.seed}) in ${r.seconds.toFixed(1)} s\n\n`);
    out.write(`anomaly alerts opened ${r.opened}, ${r.away} answering no injected anomaly (${((r.away / r.streams / r.simulatedHours) * 24).toFixed(3)} a stream a day)\n`);
    out.write(`stuck-sensor alerts opened ${r.stuckOpened}, ${r.stuckAway} answering no injected anomaly\n\n`);
    out.write(`${'injected'.padEnd(14)}${'found'.padStart(8)}${'of'.padStart(8)}\n`);
    for (const k of SCORED_KINDS) out.write(`${k.padEnd(14)}${String(r.found[k]).padStart(8)}${String(r.injected[k]).padStart(8)}\n`);
    if (json) {
      out.write(
        `${JSON.stringify({ eval: 'sim', streams: r.streams, rounds: r.rounds, seed: sim.seed, opened: r.opened, away: r.away, stuck_opened: r.stuckOpened, stuck_away: r.stuckAway, injected: r.injected, found: r.found, seconds: Math.round(r.seconds * 100) / 100 })}\n`,
      );
    }
  });
}
