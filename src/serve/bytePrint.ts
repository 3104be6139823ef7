/**
 * Prints into a byte buffer at a position and returns the position after what
 * it wrote: the primitives of `JsonBytes` and of the feed's frame printer,
 * which keeps the buffer and position in locals for a whole forecast (one room
 * check a forecast instead of one a call). Callers make the room: a number
 * takes at most MAX_NUMBER_BYTES.
 *
 * Numbers are printed from integer arithmetic: V8 prints a double as its
 * shortest round-trip text, about half a microsecond a number here, and the
 * feed prints some twenty numbers a forecast, most at a resolution far coarser
 * than a double's.
 */

/** The most bytes `putExact` or `putFixed` writes (a double's longest text is 24 characters). */
export const MAX_NUMBER_BYTES = 32;
/** Powers of ten that are exact doubles (up to 1e22). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Scaled integers at or past this are printed by V8 (the digit loops below are exact below it). */
const MAX_SCALED = 2 ** 53;
/** Decimals `putExact` tries before leaving a number to V8. */
const EXACT_DECIMALS = 9;
/** The ASCII tens and ones digits of 0–99. */
const TENS = Uint8Array.from({ length: 100 }, (_, p) => 0x30 + Math.floor(p / 10));
const ONES = Uint8Array.from({ length: 100 }, (_, p) => 0x30 + (p % 10));
const encoder = new TextEncoder();

/**
 * Fixed bytes (UTF-8 text) with a view of them, for `putSnippet`. Byte loops cost about 3 ns
 * a byte here; copies through DataViews, four bytes a step, a third of that, and for the
 * 10–60-byte runs of a feed frame they also beat TypedArray.set (about 100 ns a call).
 */
export class Snippet {
  readonly view: DataView;
  readonly length: number;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.length = bytes.length;
  }
}

/** The UTF-8 bytes of fixed text, as a snippet. */
export function snippet(text: string): Snippet {
  return new Snippet(encoder.encode(text));
}

/** `s` at `at` of the buffer `view` covers; returns the position after it. */
export function putSnippet(view: DataView, at: number, s: Snippet): number {
  return copyBytes(view, at, s.view, 0, s.length);
}

/** Copies `n` bytes from `from` in `src` to `at` in `dst` (four at a time; the ranges must not overlap); returns at + n. */
export function copyBytes(dst: DataView, at: number, src: DataView, from: number, n: number): number {
  let k = 0;
  for (; k + 4 <= n; k += 4) dst.setUint32(at + k, src.getUint32(from + k, true), true);
  for (; k < n; k++) dst.setUint8(at + k, src.getUint8(from + k));
  return at + n;
}

/** `src` at `at`. A short copy by hand: TypedArray.set costs more than the loop for a few bytes. */
export function putBytes(buf: Uint8Array, at: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 32) {
    buf.set(src, at);
    return at + n;
  }
  for (let i = 0; i < n; i++) buf[at + i] = src[i];
  return at + n;
}

const NULL = new Uint8Array([0x6e, 0x75, 0x6c, 0x6c]);

export function putNull(buf: Uint8Array, at: number): number {
  return putBytes(buf, at, NULL);
}

/** Text of any kind, UTF-8 encoded (room: three bytes a UTF-16 unit). */
export function putText(buf: Uint8Array, at: number, s: string): number {
  return at + encoder.encodeInto(s, buf.subarray(at)).written;
}

/**
 * `a[i]` as a number that JSON reads back exactly (as JSON.stringify prints it, except that a
 * short decimal below 1e-6 is not in exponent form); non-finite as null. Fast for integers and
 * decimals of up to 9 places, such as sensor readings. Numbers are passed by index: a double
 * passed to a call that is not inlined is boxed, a heap allocation per number.
 */
export function putExact(buf: Uint8Array, at: number, a: Float64Array, i: number): number {
  const x = a[i];
  if (!Number.isFinite(x)) return putNull(buf, at);
  if (Number.isSafeInteger(x)) return putScaled(buf, at, x, 0);
  for (let d = 1; d <= EXACT_DECIMALS; d++) {
    const m = Math.round(x * POW10[d]);
    if (m / POW10[d] === x && Math.abs(m) < MAX_SCALED) return putScaled(buf, at, m, d);
  }
  return putText(buf, at, String(x));
}

/**
 * `a[i]` rounded to `decimals` places (0 to 22) and printed without trailing zeros: the decimal
 * that JSON reads back as the double nearest to it. Non-finite as null.
 */
export function putFixed(buf: Uint8Array, at: number, a: Float64Array, i: number, decimals: number): number {
  const x = a[i];
  if (!Number.isFinite(x)) return putNull(buf, at);
  const m = Math.round(x * POW10[decimals]);
  if (Math.abs(m) < MAX_SCALED) return putScaled(buf, at, m, decimals);
  return putText(buf, at, String(x));
}

/** The integer m (|m| < 2^53) divided by 10^d, without trailing zeros; -0 as 0. */
function putScaled(buf: Uint8Array, at: number, m: number, d: number): number {
  let a = m < 0 ? -m : m;
  if (m < 0) buf[at++] = 0x2d; // m is a whole number: below 0 means at most -1
  while (d > 0 && a % 10 === 0) {
    a /= 10;
    d--;
  }
  if (d === 0) {
    const n = digitCount(a);
    putDigits(buf, at + n, a, n);
    return at + n;
  }
  // Whole part and fraction, each exact: a < 2^53, so whole × 10^d ≤ a is exact too.
  const p = POW10[d];
  let whole = Math.floor(a / p);
  let frac = a - whole * p;
  if (frac < 0) {
    whole--;
    frac += p;
  } else if (frac >= p) {
    whole++;
    frac -= p;
  }
  const n = digitCount(whole);
  putDigits(buf, at + n, whole, n);
  at += n;
  buf[at++] = 0x2e;
  putDigits(buf, at + d, frac, d);
  return at + d;
}

/** Decimal digits of v (0 ≤ v < 2^53); 1 for 0. */
function digitCount(v: number): number {
  let n = 1;
  if (v >= 1e8) {
    n = 9;
    while (n < 16 && v >= POW10[n]) n++;
    return n;
  }
  while (v >= POW10[n]) n++;
  return n;
}

/** The `count` low decimal digits of v (0 ≤ v < 2^53, count ≥ its digits; zero-padded), ending before `end`. */
function putDigits(buf: Uint8Array, end: number, v: number, count: number): void {
  let i = end;
  const stop = end - count;
  // Past int32: eight digits at a time off the low end, until the rest fits.
  while (v >= 2 ** 31) {
    const hi = Math.floor(v / 1e8);
    let lo = (v - hi * 1e8) | 0;
    for (let k = 0; k < 4; k++) {
      const q = (lo / 100) | 0;
      const pair = lo - q * 100;
      buf[--i] = ONES[pair];
      buf[--i] = TENS[pair];
      lo = q;
    }
    v = hi;
  }
  let w = v | 0;
  while (i - stop >= 2) {
    const q = (w / 100) | 0;
    const pair = w - q * 100;
    buf[--i] = ONES[pair];
    buf[--i] = TENS[pair];
    w = q;
  }
  if (i > stop) buf[--i] = ONES[w % 10];
}
