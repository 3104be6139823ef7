import { StreamStateError } from '../errors.ts';
import type { StreamState } from './stateTable.ts';
import { initAnomalyStats, initProfile, initSeasonStats, SEASON_SLOTS, Stat, STAT_COUNT, STAT_COUNT_V1, STAT_COUNT_V2, STAT_COUNT_V3, STAT_COUNT_V4, STAT_COUNT_V5 } from './streamStats.ts';

/**
 * Binary form of one stream's state, for snapshots and hand-over between workers:
 *   u8 layout version (6), u8 stat count S, u16 LE hidden size H,
 *   S float64 LE, H float32 LE, then (layouts 5 and 6) SEASON_SLOTS float32 LE, the weekly profile.
 * The key travels beside it.
 * Older layouts are still read: layout 1 (S = 8, before the anomaly fields) with
 * fresh anomaly fields, layouts 1 and 2 (S = 11) with the slow variance started
 * at the fast one, layouts 2 and 3 (S = 12) with the recent mean error and the
 * longest recent run of repeats at 0 (their largest error is of single readings,
 * larger than any recent mean: such a stream is slower to alert until that
 * day has left the past week, never quicker), layouts 1 to 4 (S ≤ 13) with fresh
 * seasonal fields and profile (the seasonal comparison starts a week later), and
 * layouts 1 to 5 (S ≤ 15) with no peaks on the days before the current one
 * (layout 5's decaying maxima are taken as the current day's peaks).
 */
export const STREAM_STATE_LAYOUT = 6;
const STATS_OF_LAYOUT: Record<number, number> = { 1: STAT_COUNT_V1, 2: STAT_COUNT_V2, 3: STAT_COUNT_V3, 4: STAT_COUNT_V4, 5: STAT_COUNT_V5, 6: STAT_COUNT };
/** Values can be copied as bytes (the layout is little-endian). */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Several encoded states: state i is bytes [Σ sizes before i, + sizes[i]), of stream keys[i]. */
export interface EncodedStates {
  readonly keys: string[];
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly sizes: Int32Array<ArrayBuffer>;
}

/** Where the state of one stream lies: in a table's arrays at `slot`, or in a `StreamState` at slot 0. */
interface StateArrays {
  readonly stats: Float64Array;
  readonly hidden: Float32Array;
  readonly profile: Float32Array;
}

export function encodeStreamState(state: StreamState): Buffer {
  const h = state.hidden.length;
  const out = Buffer.alloc(encodedStateSize(h));
  encodeStreamStateInto(new DataView(out.buffer, out.byteOffset, out.length), 0, state, 0, h);
  return out;
}

/** Bytes of one encoded state with hidden size `h`. */
export function encodedStateSize(h: number): number {
  return 4 + STAT_COUNT * 8 + h * 4 + SEASON_SLOTS * 4;
}

/**
 * Encodes the state at `slot` of `arrays` (a state table's rows, read in place, or a
 * `StreamState` at slot 0) into `out` at `at`; returns the offset after it.
 */
export function encodeStreamStateInto(out: DataView, at: number, arrays: StateArrays, slot: number, h: number): number {
  out.setUint8(at, STREAM_STATE_LAYOUT);
  out.setUint8(at + 1, STAT_COUNT);
  out.setUint16(at + 2, h, true);
  let off = at + 4;
  off = put(out, off, arrays.stats, slot * STAT_COUNT, STAT_COUNT, 8);
  off = put(out, off, arrays.hidden, slot * h, h, 4);
  return put(out, off, arrays.profile, slot * SEASON_SLOTS, SEASON_SLOTS, 4);
}

/** Writes `n` values of `from` from `start` at `off`, little-endian, as bytes where the host is; returns the offset after. */
function put(out: DataView, off: number, from: Float64Array | Float32Array, start: number, n: number, size: 4 | 8): number {
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset + off, n * size).set(new Uint8Array(from.buffer, from.byteOffset + start * size, n * size));
  } else if (size === 8) {
    for (let i = 0; i < n; i++) out.setFloat64(off + i * 8, from[start + i], true);
  } else {
    for (let i = 0; i < n; i++) out.setFloat32(off + i * 4, from[start + i], true);
  }
  return off + n * size;
}

/** @throws StreamStateError for a blob of another layout or size. */
export function decodeStreamState(key: string, buf: Uint8Array): StreamState {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const layout = b.length < 4 ? 0 : b.readUInt8(0);
  const n = STATS_OF_LAYOUT[layout];
  if (n === undefined || b.readUInt8(1) !== n) {
    throw new StreamStateError(`state of "${key}" is not in layout 1 to ${STREAM_STATE_LAYOUT}`);
  }
  const h = b.readUInt16LE(2);
  const p = layout >= 5 ? SEASON_SLOTS : 0;
  const size = 4 + n * 8 + h * 4 + p * 4;
  if (b.length !== size) throw new StreamStateError(`state of "${key}" has ${b.length} bytes; expected ${size}`);
  const stats = new Float64Array(STAT_COUNT);
  const hidden = new Float32Array(h);
  const profile = new Float32Array(SEASON_SLOTS);
  initProfile(profile, 0);
  if (n <= Stat.ERR_PEAK) initAnomalyStats(stats, 0);
  else if (n < STAT_COUNT) initSeasonStats(stats, 0);
  let off = 4;
  for (let i = 0; i < n; i++, off += 8) stats[i] = b.readDoubleLE(off);
  for (let i = 0; i < h; i++, off += 4) hidden[i] = b.readFloatLE(off);
  for (let i = 0; i < p; i++, off += 4) profile[i] = b.readFloatLE(off);
  if (n <= Stat.LONG_VAR) stats[Stat.LONG_VAR] = stats[Stat.VAR];
  if (n <= Stat.ERR_MEAN) {
    // Layouts before 4: no recent mean error, and a share of repeats where the longest recent run now is.
    stats[Stat.ERR_MEAN] = 0;
    stats[Stat.FLAT_MAX_RUN] = 0;
  }
  return { key, hidden, stats, profile };
}
