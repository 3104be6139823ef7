import { concatMap, from, interval, type Observable, type SchedulerLike, asyncScheduler } from 'rxjs';
import type { SimulatorConfig } from '../config.ts';
import type { Reading } from '../engine/reading.ts';
import { Rng } from '../util/rng.ts';

/** The kinds of fault the simulator injects, so alerting can be checked against them. */
export type AnomalyKind = 'spike' | 'level-shift' | 'stuck' | 'noise-burst' | 'dropout';

export interface InjectedAnomaly {
  readonly stream: string;
  readonly kind: AnomalyKind;
  readonly ts: number;
}

const KINDS = ['temperature', 'cpu', 'pressure', 'flow'] as const;
const ANOMALIES: readonly AnomalyKind[] = ['spike', 'level-shift', 'stuck', 'noise-burst', 'dropout'];
const DAY = 86_400_000;

/**
 * A fleet of simulated sensors: each round (every `tickMs` of wall time) every
 * stream reads once, `intervalMs` of simulated time after its last round.
 * Streams have daily cycles, drift and noise of their own kind, and, at
 * `anomalyRate` per reading, an injected anomaly (reported to `onAnomaly`).
 */
export class Simulator {
  readonly keys: readonly string[];
  private readonly rng: Rng;
  private readonly level: Float64Array;
  private readonly amp: Float64Array;
  private readonly noise: Float64Array;
  private readonly phase: Float64Array;
  private readonly ar: Float64Array;
  /** Rounds left of the current anomaly of each stream; 0 when none. */
  private readonly left: Int32Array;
  private readonly kind: Uint8Array;
  private readonly stuckAt: Float64Array;
  private clock: number;

  constructor(
    private readonly config: SimulatorConfig,
    startTs: number,
    private readonly onAnomaly: (a: InjectedAnomaly) => void = () => {},
  ) {
    const n = config.streams;
    this.rng = new Rng(config.seed);
    this.keys = Array.from({ length: n }, (_, i) => `${KINDS[i % KINDS.length]}/site-${Math.floor(i / KINDS.length) % 50}/sensor-${i}`);
    this.level = new Float64Array(n);
    this.amp = new Float64Array(n);
    this.noise = new Float64Array(n);
    this.phase = new Float64Array(n);
    this.ar = new Float64Array(n);
    this.left = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.stuckAt = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const k = KINDS[i % KINDS.length];
      const base = k === 'temperature' ? 20 : k === 'cpu' ? 40 : k === 'pressure' ? 1013 : 250;
      this.level[i] = base * this.rng.uniform(0.8, 1.2);
      this.amp[i] = base * this.rng.uniform(0.02, 0.2);
      this.noise[i] = base * this.rng.uniform(0.002, 0.03);
      this.phase[i] = this.rng.uniform(0, 2 * Math.PI);
    }
    this.clock = startTs;
  }

  /** The readings of the next round. */
  nextRound(): Reading[] {
    this.clock += this.config.intervalMs;
    const out: Reading[] = [];
    const rng = this.rng;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.left[i] === 0 && rng.chance(this.config.anomalyRate)) this.startAnomaly(i);
      const anomaly = this.left[i] > 0 ? ANOMALIES[this.kind[i]] : null;
      if (this.left[i] > 0) this.left[i]--;
      if (anomaly === 'dropout') continue;
      this.level[i] += this.noise[i] * 0.05 * rng.normal();
      this.ar[i] = 0.8 * this.ar[i] + this.noise[i] * rng.normal();
      let noise = this.ar[i];
      if (anomaly === 'noise-burst') noise *= 8;
      let v = this.level[i] + this.amp[i] * Math.sin((2 * Math.PI * (this.clock % DAY)) / DAY + this.phase[i]) + noise;
      if (anomaly === 'spike') v += this.amp[i] * 4 * (rng.chance(0.5) ? 1 : -1);
      if (anomaly === 'stuck') v = this.stuckAt[i];
      // Jitter of up to ±2% keeps sampling realistically irregular.
      const ts = Math.round(this.clock + this.config.intervalMs * 0.02 * (rng.next() - 0.5));
      out.push({ stream: this.keys[i], ts, value: v });
      this.stuckAt[i] = v;
    }
    return out;
  }

  private startAnomaly(i: number): void {
    const k = this.rng.int(0, ANOMALIES.length);
    const kind = ANOMALIES[k];
    this.kind[i] = k;
    this.left[i] = kind === 'spike' ? 1 : kind === 'level-shift' ? 1 : this.rng.int(10, 40);
    if (kind === 'level-shift') this.level[i] += this.amp[i] * 3 * (this.rng.chance(0.5) ? 1 : -1);
    // Called while the round is made: its first anomalous reading is this round's, at the clock (before jitter).
    this.onAnomaly({ stream: this.keys[i], kind, ts: this.clock });
  }
}

/** The simulator as a source: one round every `tickMs` of wall time, flattened to readings. */
export function simulate(sim: Simulator, tickMs: number, scheduler: SchedulerLike = asyncScheduler): Observable<Reading> {
  return interval(tickMs, scheduler).pipe(concatMap(() => from(sim.nextRound())));
}
