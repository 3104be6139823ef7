import { ModelShapeError, RejectCode } from '../errors.ts';
import type { GruWeights } from '../model/gruWeights.ts';
import { FEATURE_COUNT } from './features.ts';
import { allocRowInputs, allocRowOutputs, type RowInputs, type RowOutputs } from './roundBuffers.ts';
import type { RoundExecutor } from './roundExecutor.ts';
import type { StateTable, StreamState } from './stateTable.ts';
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
export interface TickOutput extends RowOutputs {
  readonly count: number;
  /** Index of row p's reading in the tick's input. */
  readonly readingIndex: Int32Array;
  readonly rejected: readonly RejectedIndex[];
  /** Batched steps this tick took (more than one when a stream had several readings). */
  readonly rounds: number;
}

export interface EngineOptions {
  readonly maxKeyLength: number;
  readonly modelVersion: number;
  /** Brings back the state of a stream not in memory (evicted earlier), or says it is new. */
  readonly loader?: (key: string) => StreamState | undefined;
}

/**
 * Steps every stream that has readings in a tick: validates them, orders each
 * stream's readings into successive rounds, and runs one batched kernel step
 * per round (gather → step → head → scatter). Allocates nothing per reading
 * once its buffers have grown to the largest tick seen.
 */
export class Engine {
  readonly executor: RoundExecutor;
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
  /** Wall-clock ms at which each slot last took a reading, for idle eviction. */
  private slotSeenAt = new Float64Array(0);
  private readonly loader: ((key: string) => StreamState | undefined) | undefined;
  // Per reading of the tick.
  private readingRound = new Int32Array(0);
  private readingSlot = new Int32Array(0);
  private readingRow = new Int32Array(0);
  private roundStart = new Int32Array(0);
  private fill = new Int32Array(0);
  /** The tick's accepted readings in round order, shared with compute threads. */
  private rows: RowInputs = allocRowInputs(0);
  private out: RowOutputs & { count: number; readingIndex: Int32Array; rejected: RejectedIndex[]; rounds: number };

  /** @throws ModelShapeError when the model does not take this engine's features or the table's hidden size. */
  constructor(executor: RoundExecutor, table: StateTable, options: EngineOptions) {
    if (executor.spec.inputSize !== FEATURE_COUNT) {
      throw new ModelShapeError(`model takes ${executor.spec.inputSize} features; the engine makes ${FEATURE_COUNT}`);
    }
    if (executor.spec.hidden !== table.hiddenSize) {
      throw new ModelShapeError(`model hidden size ${executor.spec.hidden} does not match the state table's ${table.hiddenSize}`);
    }
    this.executor = executor;
    this.table = table;
    this.horizons = executor.spec.horizons;
    this.maxKeyLength = options.maxKeyLength;
    this.modelVersion = options.modelVersion;
    this.loader = options.loader;
    this.out = { ...allocRowOutputs(0, this.horizons.length), count: 0, readingIndex: new Int32Array(0), rejected: [], rounds: 0 };
  }

  /** Swaps in a new model of the same spec, between ticks. */
  setModel(weights: GruWeights, version: number): void {
    this.executor.setWeights(weights);
    this.modelVersion = version;
  }

  /**
   * Streams that took no reading for `idleMs` of wall-clock time (streams loaded
   * or recovered but not stepped since count from when they were loaded).
   */
  idleStreams(idleMs: number, now = Date.now()): string[] {
    if (this.table.generation !== this.tableGeneration) this.reserveSlots();
    const idle: string[] = [];
    for (const key of this.table.streamKeys()) {
      const slot = this.table.slotOf(key);
      if (this.slotSeenAt[slot] === 0) this.slotSeenAt[slot] = now;
      else if (now - this.slotSeenAt[slot] >= idleMs) idle.push(key);
    }
    return idle;
  }

  /** Frees the model's tensors and stops any compute threads. */
  dispose(): void {
    this.executor.dispose();
  }

  /** Takes one tick of readings (any values: they are validated here) into the state. */
  step(readings: readonly unknown[]): TickOutput {
    const n = readings.length;
    this.reserveTick(n);
    const rounds = this.plan(readings);
    const out = this.out;
    for (let r = 0; r < rounds; r++) this.executor.run(this.table, this.rows, out, this.roundStart[r], this.roundStart[r + 1]);
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
    const now = Date.now();
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
      if (slot < 0 && this.loader !== undefined) {
        const state = this.loader(stream);
        if (state !== undefined) {
          slot = table.importState(state);
          if (table.generation !== this.tableGeneration) this.reserveSlots();
          this.slotStamp[slot] = 0;
        }
      }
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
      this.slotSeenAt[slot] = now;
      this.readingRound[i] = round;
      this.readingSlot[i] = slot;
      this.readingRow[i] = accepted++;
      this.roundStart[round + 1]++;
      if (round + 1 > rounds) rounds = round + 1;
    }
    // Counting sort of accepted readings by round, input order kept within a round.
    for (let r = 0; r < rounds; r++) this.roundStart[r + 1] += this.roundStart[r];
    const fill = this.fill;
    for (let r = 0; r < rounds; r++) fill[r] = this.roundStart[r];
    const rows = this.rows;
    for (let i = 0; i < n; i++) {
      const r = this.readingRound[i];
      if (r < 0) continue;
      const p = fill[r]++;
      // checkReadingShape has established the reading's shape.
      const reading = readings[i] as { ts: number; value: number };
      rows.slot[p] = this.readingSlot[i];
      rows.ts[p] = reading.ts;
      rows.value[p] = reading.value;
      rows.outRow[p] = this.readingRow[i];
      out.readingIndex[this.readingRow[i]] = i;
    }
    out.count = accepted;
    return rounds;
  }

  private reserveTick(n: number): void {
    if (this.readingRound.length >= n && n > 0) {
      if (this.table.generation !== this.tableGeneration) this.reserveSlots();
      return;
    }
    const cap = Math.max(n, 16);
    this.readingRound = new Int32Array(cap);
    this.readingSlot = new Int32Array(cap);
    this.readingRow = new Int32Array(cap);
    this.roundStart = new Int32Array(cap + 2);
    this.fill = new Int32Array(cap + 1);
    this.rows = allocRowInputs(cap);
    const { count, rejected, rounds } = this.out;
    this.out = { ...allocRowOutputs(cap, this.horizons.length), count, readingIndex: new Int32Array(cap), rejected, rounds };
    this.reserveSlots();
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
      const seen = new Float64Array(cap);
      seen.set(this.slotSeenAt);
      this.slotStamp = stamp;
      this.slotRounds = rounds;
      this.slotLastTs = last;
      this.slotSeenAt = seen;
    }
    this.tableGeneration = this.table.generation;
  }
}
