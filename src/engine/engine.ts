import { ModelShapeError, RejectCode } from '../errors.ts';
import { scaleFromRaw } from '../model/head.ts';
import { outputSize } from '../model/modelSpec.ts';
import type { StepKernel } from '../model/stepKernel.ts';
import { FEATURE_COUNT, takeReading, typicalInterval } from './features.ts';
import { momentScale } from './normaliser.ts';
import type { StateTable } from './stateTable.ts';
import { Stat, STAT_COUNT } from './streamStats.ts';
import { checkReadingShape } from './validateReading.ts';

/** A reading of the tick that was refused: its index in the tick, code and reason. */
export interface RejectedIndex {
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

/**
 * The result of one tick, in buffers the engine owns and reuses: valid until
 * the next `step`. Row p describes the p-th accepted reading, in input order.
 */
export interface TickOutput {
  readonly count: number;
  /** Index of row p's reading in the tick's input. */
  readonly readingIndex: Int32Array;
  /** count × K forecast means and scales, raw units. */
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** The stream's typical interval between readings, ms (NaN until known). */
  readonly interval: Float64Array;
  /** The one-step forecast that was current when the reading arrived (NaN for a first reading). */
  readonly priorMean: Float64Array;
  readonly priorScale: Float64Array;
  readonly rejected: readonly RejectedIndex[];
  /** Batched steps this tick took (more than one when a stream had several readings). */
  readonly rounds: number;
}

export interface EngineOptions {
  readonly maxKeyLength: number;
  readonly modelVersion: number;
}

/**
 * Steps every stream that has readings in a tick: validates them, orders each
 * stream's readings into successive rounds, and runs one batched kernel step
 * per round (gather → step → head → scatter). Allocates nothing per reading
 * once its buffers have grown to the largest tick seen.
 */
export class Engine {
  readonly kernel: StepKernel;
  readonly table: StateTable;
  readonly horizons: readonly number[];
  modelVersion: number;
  private readonly maxKeyLength: number;
  private tickId = 0;
  private tableGeneration = -1;
  // Per slot, for the tick being planned.
  private slotStamp = new Int32Array(0);
  private slotRounds = new Int32Array(0);
  private slotLastTs = new Float64Array(0);
  // Per reading of the tick.
  private readingRound = new Int32Array(0);
  private readingSlot = new Int32Array(0);
  private readingRow = new Int32Array(0);
  private roundStart = new Int32Array(0);
  private order = new Int32Array(0);
  private fillScratch = new Int32Array(0);
  // Per row of a round.
  private xh = new Float32Array(0);
  private hOut = new Float32Array(0);
  private yOut = new Float32Array(0);
  private out: {
    count: number; readingIndex: Int32Array; mean: Float64Array; scale: Float64Array;
    interval: Float64Array; priorMean: Float64Array; priorScale: Float64Array; rejected: RejectedIndex[]; rounds: number;
  };

  /** @throws ModelShapeError when the kernel's model does not take this engine's features or the table's hidden size. */
  constructor(kernel: StepKernel, table: StateTable, options: EngineOptions) {
    if (kernel.spec.inputSize !== FEATURE_COUNT) {
      throw new ModelShapeError(`model takes ${kernel.spec.inputSize} features; the engine makes ${FEATURE_COUNT}`);
    }
    if (kernel.spec.hidden !== table.hiddenSize) {
      throw new ModelShapeError(`model hidden size ${kernel.spec.hidden} does not match the state table's ${table.hiddenSize}`);
    }
    this.kernel = kernel;
    this.table = table;
    this.horizons = kernel.spec.horizons;
    this.maxKeyLength = options.maxKeyLength;
    this.modelVersion = options.modelVersion;
    this.out = {
      count: 0, readingIndex: new Int32Array(0), mean: new Float64Array(0), scale: new Float64Array(0),
      interval: new Float64Array(0), priorMean: new Float64Array(0), priorScale: new Float64Array(0), rejected: [], rounds: 0,
    };
  }

  /** Takes one tick of readings (any values: they are validated here) into the state. */
  step(readings: readonly unknown[]): TickOutput {
    const n = readings.length;
    this.reserveTick(n);
    const rounds = this.plan(readings);
    const out = this.out;
    for (let r = 0; r < rounds; r++) this.runRound(readings, this.roundStart[r], this.roundStart[r + 1]);
    out.rounds = rounds;
    return out;
  }

  /** Validates every reading, gives each accepted one its round and output row. Returns the round count. */
  private plan(readings: readonly unknown[]): number {
    const n = readings.length;
    const table = this.table;
    if (this.tickId === 0x7fffffff) {
      // Stamps would wrap after 2^31 ticks (months at high tick rates): start them over.
      this.tickId = 0;
      this.slotStamp.fill(0);
    }
    const tick = ++this.tickId;
    const out = this.out;
    out.rejected = [];
    let accepted = 0;
    let rounds = 0;
    this.roundStart.fill(0, 0, n + 2);
    for (let i = 0; i < n; i++) {
      const r = readings[i];
      const problem = checkReadingShape(r, this.maxKeyLength);
      this.readingRound[i] = -1;
      if (problem !== null) {
        out.rejected.push({ index: i, code: problem.code, message: problem.message });
        continue;
      }
      // checkReadingShape has established these types.
      const { stream, ts } = r as { stream: string; ts: number };
      let slot = table.slotOf(stream);
      if (slot >= 0) {
        const last = this.slotStamp[slot] === tick ? this.slotLastTs[slot] : table.stats[slot * STAT_COUNT + Stat.LAST_TS];
        if (ts <= last) {
          const code = ts === last ? RejectCode.TS_DUPLICATE : RejectCode.TS_OUT_OF_ORDER;
          const what = ts === last ? 'repeats' : 'is earlier than';
          out.rejected.push({ index: i, code, message: `ts ${ts} of "${stream}" ${what} its latest accepted reading (${last})` });
          continue;
        }
      } else {
        slot = table.ensure(stream);
        if (table.generation !== this.tableGeneration) this.reserveSlots();
      }
      if (this.slotStamp[slot] !== tick) {
        this.slotStamp[slot] = tick;
        this.slotRounds[slot] = 0;
      }
      const round = this.slotRounds[slot]++;
      this.slotLastTs[slot] = ts;
      this.readingRound[i] = round;
      this.readingSlot[i] = slot;
      this.readingRow[i] = accepted++;
      this.roundStart[round + 1]++;
      if (round + 1 > rounds) rounds = round + 1;
    }
    // Counting sort of accepted readings by round, input order kept within a round.
    for (let r = 0; r < rounds; r++) this.roundStart[r + 1] += this.roundStart[r];
    const fill = this.slotRoundsScratch(rounds);
    for (let i = 0; i < n; i++) {
      const r = this.readingRound[i];
      if (r >= 0) this.order[fill[r]++] = i;
    }
    out.count = accepted;
    return rounds;
  }

  private runRound(readings: readonly unknown[], start: number, end: number): void {
    const batch = end - start;
    const d = FEATURE_COUNT;
    const h = this.table.hiddenSize;
    const k = this.horizons.length;
    const o2 = 2 * k;
    const { hidden, stats } = this.table;
    const xh = this.xh;
    const out = this.out;
    for (let j = 0; j < batch; j++) {
      const i = this.order[start + j];
      const reading = readings[i] as { ts: number; value: number };
      const slot = this.readingSlot[i];
      const so = slot * STAT_COUNT;
      const row = this.readingRow[i];
      out.priorMean[row] = stats[so + Stat.PRIOR_MEAN];
      out.priorScale[row] = stats[so + Stat.PRIOR_SCALE];
      const at = j * (d + h);
      takeReading(stats, so, reading.ts, reading.value, xh, at);
      const hs = slot * h;
      for (let q = 0; q < h; q++) xh[at + d + q] = hidden[hs + q];
    }
    this.kernel.step(batch, xh, this.hOut, this.yOut);
    const hOut = this.hOut;
    const yOut = this.yOut;
    for (let j = 0; j < batch; j++) {
      const i = this.order[start + j];
      const slot = this.readingSlot[i];
      const so = slot * STAT_COUNT;
      const row = this.readingRow[i];
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
      out.readingIndex[row] = i;
    }
  }

  private reserveTick(n: number): void {
    if (this.readingRound.length >= n && this.xh.length > 0) {
      if (this.table.generation !== this.tableGeneration) this.reserveSlots();
      return;
    }
    const cap = Math.max(n, 16);
    const d = FEATURE_COUNT;
    const h = this.table.hiddenSize;
    const k = this.horizons.length;
    this.readingRound = new Int32Array(cap);
    this.readingSlot = new Int32Array(cap);
    this.readingRow = new Int32Array(cap);
    this.roundStart = new Int32Array(cap + 2);
    this.fillScratch = new Int32Array(cap + 1);
    this.order = new Int32Array(cap);
    this.xh = new Float32Array(cap * (d + h));
    this.hOut = new Float32Array(cap * h);
    this.yOut = new Float32Array(cap * outputSize(this.kernel.spec));
    const out = this.out;
    out.readingIndex = new Int32Array(cap);
    out.mean = new Float64Array(cap * k);
    out.scale = new Float64Array(cap * k);
    out.interval = new Float64Array(cap);
    out.priorMean = new Float64Array(cap);
    out.priorScale = new Float64Array(cap);
    this.reserveSlots();
  }

  private slotRoundsScratch(rounds: number): Int32Array {
    const fill = this.fillScratch;
    for (let r = 0; r < rounds; r++) fill[r] = this.roundStart[r];
    return fill;
  }

  /** Resizes the per-slot scratch arrays to the table's capacity, keeping their contents. */
  private reserveSlots(): void {
    const cap = this.table.slotCapacity;
    if (this.slotStamp.length < cap) {
      const stamp = new Int32Array(cap);
      stamp.set(this.slotStamp);
      const rounds = new Int32Array(cap);
      rounds.set(this.slotRounds);
      const last = new Float64Array(cap);
      last.set(this.slotLastTs);
      this.slotStamp = stamp;
      this.slotRounds = rounds;
      this.slotLastTs = last;
    }
    this.tableGeneration = this.table.generation;
  }
}
