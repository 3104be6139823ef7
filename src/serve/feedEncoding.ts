import { type KeyDelta, streamCodes } from '../engine/streamCodes.ts';
import type { TickForecasts } from '../engine/tickForecasts.ts';
import { copyBytes, MAX_NUMBER_BYTES, putExact, putFixed, putSnippet, Snippet, snippet } from './bytePrint.ts';
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

/** Each stream's forecast opening, `{"stream":<key>,"ts":` in UTF-8, by code; built once a stream. */
export class PrintedKeys {
  private printed: (Snippet | undefined)[] = [];
  private readonly scratch = new JsonBytes(1024);

  /** `keyOf` gives the key of a code (this thread's code table). */
  constructor(private readonly keyOf: (code: number) => string) {}

  headOf(code: number): Snippet {
    // Filled in order up to the code first, so that the array stays packed (a sparse one is a hash table).
    while (this.printed.length <= code) this.printed.push(undefined);
    let head = this.printed[code];
    if (head === undefined) {
      this.scratch.reset();
      this.scratch.raw(K_STREAM.bytes);
      this.scratch.string(this.keyOf(code));
      this.scratch.raw(K_TS.bytes);
      head = this.printed[code] = new Snippet(this.scratch.take());
    }
    return head;
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
  // 3 − ⌊log10 scale⌋, clamped to 0–15, by comparisons (Math.log10 was a tenth of the frame's time).
  let d = 0;
  while (d < 15 && scale < DECIMAL_STEPS[d]) d++;
  return d;
}

/** The least scale printed to d decimals, by d: 10^(3 − d). */
const DECIMAL_STEPS = [1e3, 1e2, 1e1, 1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11];

const SCORE_DECIMALS = 9;
// The fixed text between a forecast's numbers, each run of it printed by one copy.
const K_STREAM = snippet('{"stream":');
const K_TS = snippet(',"ts":');
const K_VALUE = snippet(',"value":');
const K_VERSION = snippet(',"modelVersion":');
const K_FIRST_POINT = snippet(',"points":[{"horizon":');
const K_NEXT_POINT = snippet('},{"horizon":');
const K_MEAN = snippet(',"mean":');
const K_SCALE = snippet(',"scale":');
const K_LOWER = snippet(',"lower":');
const K_UPPER = snippet(',"upper":');
const K_POINTS_SCORE = snippet('}],"anomaly":{"score":');
const K_NO_POINTS_SCORE = snippet(',"points":[],"anomaly":{"score":');
const K_LIKELIHOOD = snippet(',"likelihood":');
const END = snippet('}}');
/** Room a forecast's text takes beyond its key: its fixed text, and MAX_NUMBER_BYTES for each number. */
const HEAD_ROOM = 128 + HEAD_NUMS * MAX_NUMBER_BYTES;
const POINT_ROOM = 96 + POINT_NUMS * MAX_NUMBER_BYTES;

/**
 * Runs of a forecast's text that the forecasts of a tick mostly share, by their place in a
 * forecast, each with the up to three numbers that make it:
 * - place 0: `<ts>,"value":` (streams read on the same clock share the reading's time);
 * - place 1: `,"modelVersion":<v>,"points":[{"horizon":<h>,"ts":<t>,"mean":` (the first point's opening);
 * - place 1 + q: `},{"horizon":<h>,"ts":<t>,"mean":` (point q's).
 * A run whose numbers equal those of the last one printed at its place is copied from the frame
 * (one copy where printing it took up to seven calls); otherwise it is printed and remembered.
 */
class SharedRuns {
  private keys = new Float64Array(0);
  private start = new Int32Array(0);
  private length = new Int32Array(0);

  reset(places: number): void {
    if (this.start.length < places) {
      this.keys = new Float64Array(3 * places);
      this.start = new Int32Array(places);
      this.length = new Int32Array(places);
    }
    this.keys.fill(Number.NaN);
  }

  /** Whether the run at `place` was last printed with these numbers (a NaN never matches: it prints as null). */
  matches(place: number, a: number, b: number, c: number): boolean {
    const k = 3 * place;
    return this.keys[k] === a && this.keys[k + 1] === b && this.keys[k + 2] === c;
  }

  /** Copies the run last printed at `place` to `at` (`view` covers the frame from its start); returns the position after it. */
  copy(view: DataView, at: number, place: number): number {
    return copyBytes(view, at, view, this.start[place], this.length[place]);
  }

  remember(place: number, a: number, b: number, c: number, start: number, end: number): void {
    const k = 3 * place;
    this.keys[k] = a;
    this.keys[k + 1] = b;
    this.keys[k + 2] = c;
    this.start[place] = start;
    this.length[place] = end - start;
  }
}

const runs = new SharedRuns();

/** The feed frame of packed forecasts, keys from `keys`. `out` is a reusable scratch buffer (one per thread). */
export function encodeFrame(p: PackedForecasts, keys: PrintedKeys, out: JsonBytes = new JsonBytes()): FrameBytes {
  const n = p.nums;
  const count = p.codes.length;
  const starts = new Int32Array(count);
  const lengths = new Int32Array(count);
  let places = 1;
  for (let i = 0; i < count; i++) places = Math.max(places, 1 + p.points[i]);
  runs.reset(places);
  out.reset();
  out.raw(FRAME_HEAD);
  let num = 0;
  for (let i = 0; i < count; i++) {
    const head = keys.headOf(p.codes[i]);
    const points = p.points[i];
    // One room check for the whole forecast; the buffer and position stay in locals until its end.
    const buf = out.claim(1 + head.length + HEAD_ROOM + points * POINT_ROOM);
    const view = out.view;
    let at = out.length;
    if (i > 0) buf[at++] = 0x2c;
    starts[i] = at;
    at = putSnippet(view, at, head);
    const ts = n[num];
    if (runs.matches(0, ts, 0, 0)) at = runs.copy(view, at, 0);
    else {
      const from = at;
      at = putExact(buf, at, n, num);
      at = putSnippet(view, at, K_VALUE);
      runs.remember(0, ts, 0, 0, from, at);
    }
    at = putExact(buf, at, n, num + 1);
    const first = num;
    num += HEAD_NUMS;
    if (points === 0) {
      at = putSnippet(view, at, K_VERSION);
      at = putExact(buf, at, n, first + 2);
    }
    for (let q = 0; q < points; q++, num += POINT_NUMS) {
      // The point's opening, up to its mean; the first point's opens with the model version.
      const version = q === 0 ? n[first + 2] : 0;
      if (runs.matches(1 + q, version, n[num], n[num + 1])) at = runs.copy(view, at, 1 + q);
      else {
        const from = at;
        if (q === 0) {
          at = putSnippet(view, at, K_VERSION);
          at = putExact(buf, at, n, first + 2);
        }
        at = putSnippet(view, at, q === 0 ? K_FIRST_POINT : K_NEXT_POINT);
        at = putExact(buf, at, n, num);
        at = putSnippet(view, at, K_TS);
        at = putExact(buf, at, n, num + 1);
        at = putSnippet(view, at, K_MEAN);
        runs.remember(1 + q, version, n[num], n[num + 1], from, at);
      }
      const d = pointDecimals(n[num + 3]);
      at = putPoint(buf, at, n, num + 2, d);
      at = putSnippet(view, at, K_SCALE);
      at = putPoint(buf, at, n, num + 3, d);
      at = putSnippet(view, at, K_LOWER);
      at = putPoint(buf, at, n, num + 4, d);
      at = putSnippet(view, at, K_UPPER);
      at = putPoint(buf, at, n, num + 5, d);
    }
    at = putSnippet(view, at, points > 0 ? K_POINTS_SCORE : K_NO_POINTS_SCORE);
    at = putFixed(buf, at, n, first + 3, SCORE_DECIMALS);
    at = putSnippet(view, at, K_LIKELIHOOD);
    at = putFixed(buf, at, n, first + 4, SCORE_DECIMALS);
    at = putSnippet(view, at, END);
    lengths[i] = at - starts[i];
    out.advance(at);
  }
  out.raw(FRAME_TAIL);
  return { bytes: out.take(), starts, lengths };
}

/** `a[i]` to `decimals` places, or exactly when `decimals` is negative. */
function putPoint(buf: Uint8Array, at: number, a: Float64Array, i: number, decimals: number): number {
  return decimals < 0 ? putExact(buf, at, a, i) : putFixed(buf, at, a, i, decimals);
}
