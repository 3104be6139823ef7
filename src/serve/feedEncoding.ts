import { type KeyDelta, streamCodes } from '../engine/streamCodes.ts';
import type { TickForecasts } from '../engine/tickForecasts.ts';
import { JsonBytes, utf8 } from './jsonBytes.ts';

/**
 * The feed's wire form of forecasts, and a compact columnar form of them that
 * crosses to the encoder thread without structured-cloning an object per
 * forecast. Both encoders (this thread's and the worker's) print through
 * `encodeFrame`, so their frames are byte for byte the same.
 *
 * Precision: a forecast's mean, bounds and scale are printed to a thousandth of
 * its scale (four significant digits of the scale; the store and the HTTP API
 * keep every digit), the anomaly score and likelihood to 9 decimals, and
 * timestamps and the reading's own value exactly. Printing each double's
 * shortest round-trip text was most of the feed's cost (about 9 µs a forecast
 * on this machine's slow spells), for digits no forecast has.
 */

/** A forecasts frame's bytes around its forecasts (comma-separated). */
export const FRAME_HEAD = utf8('{"type":"forecasts","forecasts":[');
export const FRAME_TAIL = utf8(']}');

/** Forecasts as columns: stream codes, point counts, and every number in one Float64Array (null as NaN). */
export interface PackedForecasts {
  readonly codes: Int32Array;
  readonly points: Int32Array;
  readonly nums: Float64Array;
  /** For another thread: the keys of codes it has not been sent yet. */
  readonly keys?: KeyDelta;
}

/** Each stream key as the feed prints it (a JSON string, UTF-8), by code; built once a stream. */
export class PrintedKeys {
  private printed: Uint8Array[] = [];
  private readonly scratch = new JsonBytes(1024);

  /** `keyOf` gives the key of a code (this thread's code table). */
  constructor(private readonly keyOf: (code: number) => string) {}

  bytesOf(code: number): Uint8Array {
    let bytes = this.printed[code];
    if (bytes === undefined) {
      this.scratch.reset();
      this.scratch.string(this.keyOf(code));
      bytes = this.printed[code] = this.scratch.take();
    }
    return bytes;
  }
}

/** The main thread's printed keys, from the process's code table. */
export const printedKeys = new PrintedKeys((code) => streamCodes.keyOf(code));

const HEAD_NUMS = 5; // ts, value, modelVersion, score, likelihood
const POINT_NUMS = 6; // horizon, ts, mean, scale, lower, upper

/** Numbers a forecast of `points` points takes in the packed layout. */
export function forecastNums(points: number): number {
  return HEAD_NUMS + POINT_NUMS * points;
}

/** Writes row j's numbers at `nums[at]` in the packed layout (HEAD_NUMS, then POINT_NUMS a point); returns the index after them. */
export function writeForecastNums(f: TickForecasts, j: number, nums: Float64Array, at: number): number {
  nums[at++] = f.ts[j];
  nums[at++] = f.value[j];
  nums[at++] = f.modelVersion[j];
  nums[at++] = f.score[j];
  nums[at++] = f.likelihood[j];
  const k = f.horizons.length;
  for (let q = 0, p = j * k; q < k; q++, p++) {
    nums[at++] = f.horizons[q];
    nums[at++] = f.pointTs[p];
    nums[at++] = f.mean[p];
    nums[at++] = f.scale[p];
    nums[at++] = f.lower[p];
    nums[at++] = f.upper[p];
  }
  return at;
}

/** All the tick's forecasts, packed. */
export function packForecasts(f: TickForecasts): PackedForecasts {
  const per = forecastNums(f.horizons.length);
  const nums = new Float64Array(f.count * per);
  for (let j = 0, at = 0; j < f.count; j++) at = writeForecastNums(f, j, nums, at);
  return { codes: f.code.slice(), points: new Int32Array(f.count).fill(f.horizons.length), nums };
}

/** A frame's UTF-8 bytes, and forecast i's text at bytes [starts[i], starts[i] + lengths[i]). */
export interface FrameBytes {
  readonly bytes: Uint8Array;
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
}

/** Decimals of a point's mean, bounds and scale: a thousandth of its scale, at most 15; exact without a scale. */
export function pointDecimals(scale: number): number {
  if (!(scale > 0) || !Number.isFinite(scale)) return -1;
  return Math.min(15, Math.max(0, 3 - Math.floor(Math.log10(scale))));
}

const SCORE_DECIMALS = 9;
// The fixed text between a forecast's numbers, each run of it printed by one call.
const K_STREAM = utf8('{"stream":');
const K_TS = utf8(',"ts":');
const K_VALUE = utf8(',"value":');
const K_VERSION = utf8(',"modelVersion":');
const K_FIRST_POINT = utf8(',"points":[{"horizon":');
const K_NEXT_POINT = utf8('},{"horizon":');
const K_MEAN = utf8(',"mean":');
const K_SCALE = utf8(',"scale":');
const K_LOWER = utf8(',"lower":');
const K_UPPER = utf8(',"upper":');
const K_POINTS_SCORE = utf8('}],"anomaly":{"score":');
const K_NO_POINTS_SCORE = utf8(',"points":[],"anomaly":{"score":');
const K_LIKELIHOOD = utf8(',"likelihood":');
const END = utf8('}}');

/**
 * Timestamps as printed, by where they stand in a forecast (the reading's, then each point's): the
 * forecasts of a tick mostly share them (streams read on the same clock), so a time equal to the
 * last one printed at its place is copied from the frame instead of printed again.
 */
class PrintedTimes {
  private value = new Float64Array(0);
  private start = new Int32Array(0);
  private length = new Int32Array(0);

  reset(places: number): void {
    if (this.value.length < places) {
      this.value = new Float64Array(places);
      this.start = new Int32Array(places);
      this.length = new Int32Array(places);
    }
    this.value.fill(Number.NaN);
  }

  /** Prints `a[i]` at `place`. */
  print(out: JsonBytes, place: number, a: Float64Array, i: number): void {
    const x = a[i];
    if (this.value[place] === x) return out.again(this.start[place], this.length[place]);
    const start = out.length;
    out.exactAt(a, i);
    this.value[place] = x;
    this.start[place] = start;
    this.length[place] = out.length - start;
  }
}

const times = new PrintedTimes();

/** The feed frame of packed forecasts, keys from `keys`. `out` is a reusable scratch buffer (one per thread). */
export function encodeFrame(p: PackedForecasts, keys: PrintedKeys, out: JsonBytes = new JsonBytes()): FrameBytes {
  const n = p.nums;
  const count = p.codes.length;
  const starts = new Int32Array(count);
  const lengths = new Int32Array(count);
  let places = 1;
  for (let i = 0; i < count; i++) places = Math.max(places, 1 + p.points[i]);
  times.reset(places);
  out.reset();
  out.raw(FRAME_HEAD);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) out.byte(0x2c);
    starts[i] = out.length;
    out.raw(K_STREAM);
    out.raw(keys.bytesOf(p.codes[i]));
    out.raw(K_TS);
    times.print(out, 0, n, at);
    out.raw(K_VALUE);
    out.exactAt(n, at + 1);
    out.raw(K_VERSION);
    out.exactAt(n, at + 2);
    const head = at;
    at += HEAD_NUMS;
    const points = p.points[i];
    for (let q = 0; q < points; q++, at += POINT_NUMS) {
      out.raw(q === 0 ? K_FIRST_POINT : K_NEXT_POINT);
      out.exactAt(n, at);
      out.raw(K_TS);
      times.print(out, 1 + q, n, at + 1);
      const d = pointDecimals(n[at + 3]);
      out.raw(K_MEAN);
      printAt(out, n, at + 2, d);
      out.raw(K_SCALE);
      printAt(out, n, at + 3, d);
      out.raw(K_LOWER);
      printAt(out, n, at + 4, d);
      out.raw(K_UPPER);
      printAt(out, n, at + 5, d);
    }
    out.raw(points > 0 ? K_POINTS_SCORE : K_NO_POINTS_SCORE);
    out.fixedAt(n, head + 3, SCORE_DECIMALS);
    out.raw(K_LIKELIHOOD);
    out.fixedAt(n, head + 4, SCORE_DECIMALS);
    out.raw(END);
    lengths[i] = out.length - starts[i];
  }
  out.raw(FRAME_TAIL);
  return { bytes: out.take(), starts, lengths };
}

/** `a[i]` to `decimals` places, or exactly when `decimals` is negative (numbers by index: see `JsonBytes.exactAt`). */
function printAt(out: JsonBytes, a: Float64Array, i: number, decimals: number): void {
  if (decimals < 0) out.exactAt(a, i);
  else out.fixedAt(a, i, decimals);
}
