import { StreamStateError } from '../errors.ts';
import type { StreamState } from './stateTable.ts';
import { initAnomalyStats, initSeasonStats, Stat, STAT_COUNT, STAT_COUNT_V1, STAT_COUNT_V2, STAT_COUNT_V3, STAT_COUNT_V4 } from './streamStats.ts';

/**
 * Binary form of one stream's state, for snapshots and hand-over between workers:
 *   u8 layout version (5), u8 stat count S, u16 LE hidden size H,
 *   S float64 LE, H float32 LE. The key travels beside it.
 * Older layouts are still read: layout 1 (S = 8, before the anomaly fields) with
 * fresh anomaly fields, layouts 1 and 2 (S = 11) with the slow variance started
 * at the fast one, layouts 2 and 3 (S = 12) with the recent mean error and the
 * longest recent run of repeats at 0 (their largest error is of single readings,
 * larger than any recent mean: such a stream is slower to alert until that
 * maximum has decayed, never quicker), and layouts 1 to 4 (S = 13) with a fresh
 * weekly profile (the seasonal comparison starts a week later).
 */
export const STREAM_STATE_LAYOUT = 5;
const STATS_OF_LAYOUT: Record<number, number> = { 1: STAT_COUNT_V1, 2: STAT_COUNT_V2, 3: STAT_COUNT_V3, 4: STAT_COUNT_V4, 5: STAT_COUNT };
/** Float64 values can be copied as bytes (the layout is little-endian). */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Several encoded states: state i is bytes [Σ sizes before i, + sizes[i]), of stream keys[i]. */
export interface EncodedStates {
  readonly keys: string[];
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly sizes: Int32Array<ArrayBuffer>;
}

export function encodeStreamState(state: StreamState): Buffer {
  const h = state.hidden.length;
  const out = Buffer.alloc(encodedStateSize(h));
  encodeStreamStateInto(new DataView(out.buffer, out.byteOffset, out.length), 0, state.stats, 0, state.hidden, 0, h);
  return out;
}

/** Bytes of one encoded state with hidden size `h`. */
export function encodedStateSize(h: number): number {
  return 4 + STAT_COUNT * 8 + h * 4;
}

/**
 * Encodes the state whose stats start at `stats[statsAt]` and hidden state at `hidden[hiddenAt]`
 * (a state table's rows, read in place) into `out` at `at`; returns the offset after it.
 */
export function encodeStreamStateInto(out: DataView, at: number, stats: Float64Array, statsAt: number, hidden: Float32Array, hiddenAt: number, h: number): number {
  out.setUint8(at, STREAM_STATE_LAYOUT);
  out.setUint8(at + 1, STAT_COUNT);
  out.setUint16(at + 2, h, true);
  let off = at + 4;
  if (LITTLE_ENDIAN) {
    // One copy of the row's bytes: the weekly profile makes it 183 values.
    new Uint8Array(out.buffer, out.byteOffset + off, STAT_COUNT * 8).set(new Uint8Array(stats.buffer, stats.byteOffset + statsAt * 8, STAT_COUNT * 8));
    off += STAT_COUNT * 8;
  } else {
    for (let i = 0; i < STAT_COUNT; i++, off += 8) out.setFloat64(off, stats[statsAt + i], true);
  }
  for (let i = 0; i < h; i++, off += 4) out.setFloat32(off, hidden[hiddenAt + i], true);
  return off;
}

/** @throws StreamStateError for a blob of another layout or size. */
export function decodeStreamState(key: string, buf: Uint8Array): StreamState {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = b.length < 4 ? undefined : STATS_OF_LAYOUT[b.readUInt8(0)];
  if (n === undefined || b.readUInt8(1) !== n) {
    throw new StreamStateError(`state of "${key}" is not in layout 1 to ${STREAM_STATE_LAYOUT}`);
  }
  const h = b.readUInt16LE(2);
  if (b.length !== 4 + n * 8 + h * 4) throw new StreamStateError(`state of "${key}" has ${b.length} bytes; expected ${4 + n * 8 + h * 4}`);
  const stats = new Float64Array(STAT_COUNT);
  const hidden = new Float32Array(h);
  if (n <= Stat.RESID_MAX) initAnomalyStats(stats, 0);
  else if (n < STAT_COUNT) initSeasonStats(stats, 0);
  let off = 4;
  for (let i = 0; i < n; i++, off += 8) stats[i] = b.readDoubleLE(off);
  for (let i = 0; i < h; i++, off += 4) hidden[i] = b.readFloatLE(off);
  if (n <= Stat.LONG_VAR) stats[Stat.LONG_VAR] = stats[Stat.VAR];
  if (n <= Stat.ERR_MEAN) {
    // Layouts before 4: no recent mean error, and a share of repeats where the longest recent run now is.
    stats[Stat.ERR_MEAN] = 0;
    stats[Stat.FLAT_MAX_RUN] = 0;
  }
  return { key, hidden, stats };
}
