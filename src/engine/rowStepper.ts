import { scoreReading } from '../anomaly/readingAnomaly.ts';
import { scaleFromRaw } from '../model/head.ts';
import type { StepInputs, StepKernel } from '../model/stepKernel.ts';
import { FEATURE_COUNT, takeReading, typicalInterval } from './features.ts';
import { momentScale } from './normaliser.ts';
import type { RowInputs, RowOutputs, TableView } from './roundBuffers.ts';
import { SEASON_SLOTS, Stat, STAT_COUNT } from './streamStats.ts';

/**
 * Steps rows [from, to) of one round: takes each reading into its stream's
 * scalar row and features, gathers the hidden states, runs one batched kernel
 * step, scatters the new states back and writes the forecasts in raw units.
 * The rows of a round belong to distinct streams, so several steppers may run
 * disjoint ranges of one round at once, each on its own thread.
 */
export class RowStepper {
  /** The gathered rows, in the kernel's three layouts, written in one pass. */
  private inputs: StepInputs = { xh: new Float32Array(0), x: new Float32Array(0), h: new Float32Array(0) };

  constructor(readonly kernel: StepKernel) {}

  run(table: TableView, rows: RowInputs, out: RowOutputs, from: number, to: number): void {
    const batch = to - from;
    if (batch <= 0) return;
    const d = FEATURE_COUNT;
    const h = this.kernel.spec.hidden;
    const k = this.kernel.spec.horizons.length;
    const o2 = 2 * k;
    this.reserve(batch);
    const { hidden, stats, profile } = table;
    const { xh, x: xs, h: hs0 } = this.inputs;
    for (let j = 0; j < batch; j++) {
      const p = from + j;
      const slot = rows.slot[p];
      const so = slot * STAT_COUNT;
      const row = rows.outRow[p];
      out.priorMean[row] = stats[so + Stat.PRIOR_MEAN];
      out.priorScale[row] = stats[so + Stat.PRIOR_SCALE];
      const at = j * (d + h);
      scoreReading(stats, so, profile, slot * SEASON_SLOTS, rows.ts[p], rows.value[p], out.score, out.likelihood, out.flat, row);
      takeReading(stats, so, rows.ts[p], rows.value[p], xh, at);
      for (let q = 0; q < d; q++) xs[j * d + q] = xh[at + q];
      const hs = slot * h;
      const ho = j * h;
      for (let q = 0; q < h; q++) {
        const v = hidden[hs + q];
        xh[at + d + q] = v;
        hs0[ho + q] = v;
      }
    }
    const { h: hOut, y: yOut } = this.kernel.step(batch, this.inputs);
    for (let j = 0; j < batch; j++) {
      const p = from + j;
      const slot = rows.slot[p];
      const so = slot * STAT_COUNT;
      const row = rows.outRow[p];
      const hs = slot * h;
      for (let q = 0; q < h; q++) hidden[hs + q] = hOut[j * h + q];
      const mu = stats[so + Stat.MEAN];
      const sd = momentScale(stats, so);
      for (let q = 0; q < k; q++) {
        out.mean[row * k + q] = mu + sd * yOut[j * o2 + q];
        out.scale[row * k + q] = sd * scaleFromRaw(yOut[j * o2 + k + q]);
      }
      stats[so + Stat.PRIOR_MEAN] = out.mean[row * k];
      stats[so + Stat.PRIOR_SCALE] = out.scale[row * k];
      out.interval[row] = typicalInterval(stats, so);
    }
  }

  private reserve(batch: number): void {
    const h = this.kernel.spec.hidden;
    if (this.inputs.h.length >= batch * h) return;
    const cap = Math.max(batch, 64);
    this.inputs = { xh: new Float32Array(cap * (FEATURE_COUNT + h)), x: new Float32Array(cap * FEATURE_COUNT), h: new Float32Array(cap * h) };
  }
}
