import { StreamStateError } from '../errors.ts';
import { sharedF32, sharedF64 } from '../util/shared.ts';
import { type EncodedStates, encodedStateSize, encodeStreamStateInto } from './streamStateCodec.ts';
import { initProfile, initStats, SEASON_SLOTS, STAT_COUNT } from './streamStats.ts';
import { streamCodes } from './streamCodes.ts';
import { withRoomFor } from '../util/typedArrays.ts';

/** Everything the engine knows about one stream: serialisable, movable between workers. */
export interface StreamState {
  readonly key: string;
  /** h_{t}: the GRU hidden state after the last reading taken. */
  readonly hidden: Float32Array;
  /** The scalar row (see `Stat`): moments, timing, last forecast. */
  readonly stats: Float64Array;
  /** The weekly profile: SEASON_SLOTS values, one per hour of the week, NaN until seen. */
  readonly profile: Float32Array;
}

/**
 * Every stream's state, one slot per stream key, held host-side: hidden states in
 * one Float32Array (slot × H), the scalar rows in one Float64Array
 * (slot × STAT_COUNT) and the weekly profiles in one Float32Array (slot ×
 * SEASON_SLOTS; apart, so that the rows a step reads stay 216 bytes), all on
 * shared memory so compute threads can work on them in place. The engine gathers the rows stepped in a tick, steps
 * them in one batch and scatters them back. Grows by doubling; slots freed by
 * `remove` are reused.
 */
export class StateTable {
  readonly hiddenSize: number;
  hidden: Float32Array;
  stats: Float64Array;
  profile: Float32Array;
  private readonly slots = new Map<string, number>();
  /** The same, by the key's code (streamCodes.ts; -1: not here), so a tick looks a key up once. */
  private slotByCode = new Int32Array(1024).fill(-1);
  private keys: (string | undefined)[] = [];
  private readonly free: number[] = [];
  private capacity: number;
  /** Incremented on every growth, so holders of per-slot scratch arrays know to resize. */
  generation = 0;

  constructor(hiddenSize: number, initialCapacity = 1024) {
    this.hiddenSize = hiddenSize;
    this.capacity = Math.max(1, initialCapacity);
    this.hidden = sharedF32(this.capacity * hiddenSize);
    this.stats = sharedF64(this.capacity * STAT_COUNT);
    this.profile = sharedF32(this.capacity * SEASON_SLOTS);
  }

  get size(): number {
    return this.slots.size;
  }

  get slotCapacity(): number {
    return this.capacity;
  }

  /** True when the next new stream makes the table grow (its arrays are then reallocated). */
  get full(): boolean {
    return this.free.length === 0 && this.slots.size >= this.capacity;
  }

  /** The slot of `key`, or -1 when the stream is not in the table. */
  slotOf(key: string): number {
    return this.slots.get(key) ?? -1;
  }

  /** The slot of the stream whose key has this code, or -1 when it is not in the table. */
  slotOfCode(code: number): number {
    return code < this.slotByCode.length ? this.slotByCode[code] : -1;
  }

  /** The slot of `key` (its code given when the caller has it), creating a fresh stream (zero state) if needed. */
  ensure(key: string, code = streamCodes.codeOf(key)): number {
    const found = this.slots.get(key);
    if (found !== undefined) return found;
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot >= this.capacity) this.grow(this.capacity * 2);
    }
    this.slots.set(key, slot);
    this.keys[slot] = key;
    this.slotByCode = withRoomFor(this.slotByCode, code, -1);
    this.slotByCode[code] = slot;
    this.hidden.fill(0, slot * this.hiddenSize, (slot + 1) * this.hiddenSize);
    initStats(this.stats, slot * STAT_COUNT);
    initProfile(this.profile, slot * SEASON_SLOTS);
    return slot;
  }

  keyOf(slot: number): string | undefined {
    return this.keys[slot];
  }

  streamKeys(): IterableIterator<string> {
    return this.slots.keys();
  }

  /**
   * The states of `keys` (those the table holds), encoded as snapshots store them, into one
   * buffer read straight from the table's rows: no object or copy a stream (10,000 states took
   * the main thread 30–80 ms through `exportState` and one buffer each).
   */
  exportEncoded(keys: Iterable<string>): EncodedStates {
    const h = this.hiddenSize;
    const size = encodedStateSize(h);
    const held: string[] = [];
    const slots: number[] = [];
    for (const key of keys) {
      const slot = this.slots.get(key);
      if (slot === undefined) continue;
      held.push(key);
      slots.push(slot);
    }
    const bytes = new Uint8Array(held.length * size);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < slots.length; i++) encodeStreamStateInto(view, i * size, this, slots[i], h);
    return { keys: held, bytes, sizes: new Int32Array(held.length).fill(size) };
  }

  /** A copy of the stream's state, or undefined when it is not in the table. */
  exportState(key: string): StreamState | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const h = this.hiddenSize;
    return {
      key,
      hidden: this.hidden.slice(slot * h, (slot + 1) * h),
      stats: this.stats.slice(slot * STAT_COUNT, (slot + 1) * STAT_COUNT),
      profile: this.profile.slice(slot * SEASON_SLOTS, (slot + 1) * SEASON_SLOTS),
    };
  }

  /**
   * Puts a stream's state into the table, replacing any it had.
   * @throws StreamStateError when the state's sizes do not fit this table.
   */
  importState(state: StreamState): number {
    if (state.hidden.length !== this.hiddenSize || state.stats.length !== STAT_COUNT || state.profile.length !== SEASON_SLOTS) {
      throw new StreamStateError(
        `state of "${state.key}" has hidden ${state.hidden.length} / stats ${state.stats.length} / profile ${state.profile.length}; table needs ${this.hiddenSize} / ${STAT_COUNT} / ${SEASON_SLOTS}`,
      );
    }
    const slot = this.ensure(state.key);
    this.hidden.set(state.hidden, slot * this.hiddenSize);
    this.stats.set(state.stats, slot * STAT_COUNT);
    this.profile.set(state.profile, slot * SEASON_SLOTS);
    return slot;
  }

  /** Takes a stream out of the table (to evict or move it) and returns its state. */
  remove(key: string): StreamState | undefined {
    const state = this.exportState(key);
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.slots.delete(key);
    this.slotByCode[streamCodes.codeOf(key)] = -1;
    this.keys[slot] = undefined;
    this.free.push(slot);
    return state;
  }

  private grow(capacity: number): void {
    const hidden = sharedF32(capacity * this.hiddenSize);
    hidden.set(this.hidden);
    const stats = sharedF64(capacity * STAT_COUNT);
    stats.set(this.stats);
    const profile = sharedF32(capacity * SEASON_SLOTS);
    profile.set(this.profile);
    this.hidden = hidden;
    this.stats = stats;
    this.profile = profile;
    this.capacity = capacity;
    this.generation++;
  }
}
