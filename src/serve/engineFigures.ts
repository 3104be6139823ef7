import type { Tick } from '../engine/stepTicks.ts';
import type { TrainingEvent } from '../jobs/liveModel.ts';

const LATENCY_WINDOW = 512;
const RATE_SECONDS = 10;

export interface EngineSnapshot {
  /** Readings stepped per second over the last 10 s. */
  readonly readingsPerS: number;
  /** Engine time per tick over the last 512 ticks, ms (null before the first tick). */
  readonly tickP50Ms: number | null;
  readonly tickP99Ms: number | null;
  readonly ticks: number;
  /** The last retraining event (progress, or how the last run ended), or null before the first. */
  readonly training: (TrainingEvent & { readonly at: string }) | null;
}

/**
 * Recent engine figures for people (the web page's status panel): throughput
 * over a sliding 10 s and tick-latency quantiles over the last ticks, from
 * fixed-size rings, so recording a tick allocates nothing. Prometheus gets the
 * full histograms; this is the at-a-glance view.
 */
export class EngineFigures {
  private readonly latencies = new Float64Array(LATENCY_WINDOW);
  private readonly sorted = new Float64Array(LATENCY_WINDOW);
  private readonly perSecond = new Float64Array(RATE_SECONDS);
  private readonly secondOf = new Float64Array(RATE_SECONDS).fill(-1);
  private ticks = 0;
  private lastTraining: (TrainingEvent & { at: string }) | null = null;
  private readonly started: number;

  constructor(now = Date.now()) {
    this.started = now;
  }

  record(tick: Tick, now = Date.now()): void {
    this.latencies[this.ticks % LATENCY_WINDOW] = tick.stepMs;
    this.ticks++;
    const second = Math.floor(now / 1000);
    const slot = second % RATE_SECONDS;
    if (this.secondOf[slot] !== second) {
      this.secondOf[slot] = second;
      this.perSecond[slot] = 0;
    }
    this.perSecond[slot] += tick.readings.length;
  }

  training(event: TrainingEvent, now = Date.now()): void {
    this.lastTraining = { ...event, at: new Date(now).toISOString() };
  }

  snapshot(now = Date.now()): EngineSnapshot {
    const second = Math.floor(now / 1000);
    let readings = 0;
    for (let i = 0; i < RATE_SECONDS; i++) {
      // The current second is partial: count the 10 whole seconds before it.
      const age = second - this.secondOf[i];
      if (age >= 1 && age <= RATE_SECONDS) readings += this.perSecond[i];
    }
    const span = Math.min(RATE_SECONDS, Math.max(1, second - Math.floor(this.started / 1000)));
    const n = Math.min(this.ticks, LATENCY_WINDOW);
    let p50: number | null = null;
    let p99: number | null = null;
    if (n > 0) {
      const s = this.sorted.subarray(0, n);
      s.set(this.latencies.subarray(0, n));
      s.sort();
      p50 = s[Math.min(n - 1, Math.floor(0.5 * n))];
      p99 = s[Math.min(n - 1, Math.floor(0.99 * n))];
    }
    return { readingsPerS: readings / span, tickP50Ms: p50, tickP99Ms: p99, ticks: this.ticks, training: this.lastTraining };
  }
}
