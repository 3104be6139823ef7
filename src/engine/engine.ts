import { KernelError, ModelShapeError, RejectCode } from '../errors.ts';
import type { GruWeights } from '../model/gruWeights.ts';
import { FEATURE_COUNT } from './features.ts';
import { allocRowInputs, allocRowOutputs, type RowInputs, type RowOutputs } from './roundBuffers.ts';
import type { RoundExecutor } from './roundExecutor.ts';
import type { StateTable, StreamState } from './stateTable.ts';
import { Stat, STAT_COUNT } from './streamStats.ts';
import { streamCodes } from './streamCodes.ts';
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
  /** Row p's stream, as its code (streamCodes.ts). */
  readonly code: Int32Array;
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
  /** End of the first-round rows handed to the executor before planning finished (0: none), and of those finished. */
  private earlyTo = 0;
  private doneTo = 0;
  /** The tick's accepted readings in round order, shared with compute threads. */
  private rows: RowInputs = allocRowInputs(0);
  private out: RowOutputs & { count: number; readingIndex: Int32Array; code: Int32Array; rejected: RejectedIndex[]; rounds: number };
  /** True while a `stepAsync` has rows out on helper threads. */
  private stepOut = false;
  /** The tail of the work run through `exclusive`, one piece at a time, and how many pieces are not settled. */
  private lane: Promise<unknown> = Promise.resolve();
  private queued = 0;

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
    this.out = { ...allocRowOutputs(0, this.horizons.length), count: 0, readingIndex: new Int32Array(0), code: new Int32Array(0), rejected: [], rounds: 0 };
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

  /** Whether ticks can be stepped without blocking this thread (`stepAsync`): the executor has helper threads. */
  get stepsAsync(): boolean {
    return this.executor.runAsync !== undefined;
  }

  /**
   * Runs `work` once the work passed here before it has settled, one piece at a
   * time: the live pipeline steps each tick through here (and emits it before
   * letting go), so work that reads or replaces rows of the state table
   * (snapshots, eviction, a model switch) never meets a step whose rows are out.
   */
  exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    this.queued++;
    const run = this.lane.then(work);
    const settled = (): void => {
      this.queued--;
    };
    this.lane = run.then(settled, settled);
    return run;
  }

  /** Pieces of work passed to `exclusive` and not settled yet, the one running included: ticks waiting for the engine, mostly. */
  get queueDepth(): number {
    return this.queued;
  }

  /**
   * `step`, with the rounds computed on the executor's helper threads while this
   * thread's event loop serves sockets (the executor's `runAsync`); `step` itself
   * where it has none. The output is valid until the next step. One at a time:
   * the live pipeline runs it through `exclusive`.
   * @throws KernelError when a step is already out.
   */
  async stepAsync(readings: readonly unknown[]): Promise<TickOutput> {
    const runAsync = this.executor.runAsync?.bind(this.executor);
    if (runAsync === undefined) return this.step(readings);
    this.enterStep();
    try {
      this.reserveTick(readings.length);
      this.earlyTo = 0;
      this.doneTo = 0;
      const rounds = this.plan(readings, false);
      const out = this.out;
      for (let r = 0; r < rounds; r++) {
        if (this.roundStart[r] < this.roundStart[r + 1]) await runAsync(this.table, this.rows, out, this.roundStart[r], this.roundStart[r + 1]);
      }
      out.rounds = rounds;
      return out;
    } finally {
      this.stepOut = false;
    }
  }

  /**
   * Takes one tick of readings (any values: they are validated here) into the state.
   * @throws KernelError when a `stepAsync` is out.
   */
  step(readings: readonly unknown[]): TickOutput {
    this.enterStep();
    try {
      return this.stepNow(readings);
    } finally {
      this.stepOut = false;
    }
  }

  private enterStep(): void {
    if (this.stepOut) throw new KernelError('a tick was stepped while another one was still being computed');
    this.stepOut = true;
  }

  private stepNow(readings: readonly unknown[]): TickOutput {
    const n = readings.length;
    this.reserveTick(n);
    this.earlyTo = 0;
    this.doneTo = 0;
    let rounds: number;
    try {
      rounds = this.plan(readings, true);
    } catch (err) {
      // Rows handed out early are being written: wait for them before the error goes up.
      this.finishEarly();
      throw err;
    }
    const out = this.out;
    for (let r = 0; r < rounds; r++) {
      const from = r === 0 ? this.doneTo : this.roundStart[r];
      if (from < this.roundStart[r + 1]) this.executor.run(this.table, this.rows, out, from, this.roundStart[r + 1]);
    }
    out.rounds = rounds;
    return out;
  }

  /**
   * Validates every reading and gives each accepted one its round and output
   * row. First-round rows are written in place as they are found, so that once
   * `earlyRows` of them exist the executor can start on them while the rest is
   * planned (should the table have to grow meanwhile, those rows are finished
   * first: growing moves its shared arrays). Later rounds (a stream with several
   * readings) are placed after them.
   * Returns the round count. `early`: whether rows may be handed out before planning ends.
   */
  private plan(readings: readonly unknown[], early: boolean): number {
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
    const rows = this.rows;
    out.rejected = [];
    const earlyCount = early ? (this.executor.earlyRows?.(n) ?? 0) : 0;
    let accepted = 0;
    let firsts = 0;
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
      const { stream, ts, value } = r as { stream: string; ts: number; value: number };
      // The key's one lookup of the tick: its code indexes the table here and every later stage's state.
      const code = streamCodes.codeOf(stream);
      let slot = table.slotOfCode(code);
      if (slot < 0 && this.loader !== undefined) {
        const state = this.loader(stream);
        if (state !== undefined) {
          if (table.full) this.finishEarly();
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
        // Growing reallocates the table's arrays: rows handed out early must be finished first.
        if (table.full) this.finishEarly();
        slot = table.ensure(stream, code);
        if (table.generation !== this.tableGeneration) this.reserveSlots();
      }
      if (this.slotStamp[slot] !== tick) {
        this.slotStamp[slot] = tick;
        this.slotRounds[slot] = 0;
      }
      const round = this.slotRounds[slot]++;
      this.slotLastTs[slot] = ts;
      this.slotSeenAt[slot] = now;
      const row = accepted++;
      out.readingIndex[row] = i;
      out.code[row] = code;
      if (round === 0) {
        const p = firsts++;
        rows.slot[p] = slot;
        rows.ts[p] = ts;
        rows.value[p] = value;
        rows.outRow[p] = row;
        if (firsts === earlyCount) {
          this.executor.startEarly?.(table, rows, out, 0, earlyCount);
          this.earlyTo = earlyCount;
        }
        continue;
      }
      this.readingRound[i] = round;
      this.readingSlot[i] = slot;
      this.readingRow[i] = row;
      this.roundStart[round + 1]++;
      if (round + 1 > rounds) rounds = round + 1;
    }
    out.count = accepted;
    if (firsts > 0 && rounds === 0) rounds = 1;
    this.roundStart[1] = firsts;
    if (rounds <= 1) return rounds;
    // Later rounds: a counting sort after the first round's rows, input order kept within a round.
    for (let r = 1; r < rounds; r++) this.roundStart[r + 1] += this.roundStart[r];
    const fill = this.fill;
    for (let r = 1; r < rounds; r++) fill[r] = this.roundStart[r];
    for (let i = 0; i < n; i++) {
      const r = this.readingRound[i];
      if (r < 1) continue;
      const p = fill[r]++;
      // checkReadingShape has established the reading's shape.
      const reading = readings[i] as { ts: number; value: number };
      rows.slot[p] = this.readingSlot[i];
      rows.ts[p] = reading.ts;
      rows.value[p] = reading.value;
      rows.outRow[p] = this.readingRow[i];
    }
    return rounds;
  }

  /** Waits for the rows handed out early, if any are still out; the first round then starts after them. */
  private finishEarly(): void {
    if (this.earlyTo <= this.doneTo) return;
    this.executor.run(this.table, this.rows, this.out, this.doneTo, this.earlyTo);
    this.doneTo = this.earlyTo;
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
    this.out = { ...allocRowOutputs(cap, this.horizons.length), count, readingIndex: new Int32Array(cap), code: new Int32Array(cap), rejected, rounds };
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
