import type { Tick } from './stepTicks.ts';

/** Running figures of the engine for the log and, later, the metrics endpoint. */
export class TickStats {
  readings = 0;
  forecasts = 0;
  ticks = 0;
  readonly rejectedByCode = new Map<string, number>();
  private readonly latencies: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(window = 1024) {
    this.latencies = new Float64Array(window);
  }

  record(tick: Tick): void {
    this.ticks++;
    this.readings += tick.readings.length;
    this.forecasts += tick.forecasts.count;
    for (const r of tick.rejected) this.rejectedByCode.set(r.code, (this.rejectedByCode.get(r.code) ?? 0) + 1);
    this.latencies[this.next] = tick.stepMs;
    this.next = (this.next + 1) % this.latencies.length;
    this.filled = Math.min(this.filled + 1, this.latencies.length);
  }

  /** The q-quantile (0..1) of the latest ticks' step latency, ms; NaN before any tick. */
  latencyQuantile(q: number): number {
    if (this.filled === 0) return NaN;
    const sorted = Float64Array.from(this.latencies.subarray(0, this.filled)).sort();
    return sorted[Math.min(this.filled - 1, Math.floor(q * this.filled))];
  }
}
