/**
 * Writes JSON straight into UTF-8 bytes: strings, and numbers printed from
 * integer arithmetic. V8 prints a double as its shortest round-trip text,
 * about half a microsecond a number here; the feed prints some twenty numbers
 * a forecast, most at a resolution far coarser than a double's, so it prints
 * them from a scaled integer instead (see `fixed`).
 */

/** Powers of ten that are exact doubles (up to 1e22). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Scaled integers at or past this are printed by V8 (the digit loop below is exact below it). */
const MAX_SCALED = 2 ** 53;
/** Decimals `exact` tries before leaving a number to V8. */
const EXACT_DECIMALS = 9;
const NULL = [0x6e, 0x75, 0x6c, 0x6c];
/** The ASCII tens and ones digits of 0–99. */
const TENS = Uint8Array.from({ length: 100 }, (_, p) => 0x30 + Math.floor(p / 10));
const ONES = Uint8Array.from({ length: 100 }, (_, p) => 0x30 + (p % 10));
const encoder = new TextEncoder();

export class JsonBytes {
  private buf: Uint8Array;
  private at = 0;
  /** For `exact` and `fixed` of a lone number. */
  private readonly scratch = new Float64Array(1);
  /** Scratch for a number's digits, written right to left. */
  private readonly digits = new Uint8Array(32);

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.at;
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.at = 0;
  }

  /** A copy of what was written (its own buffer, so it can be transferred). */
  take(): Uint8Array {
    return this.buf.slice(0, this.at);
  }

  /** Bytes that are already UTF-8 (the fixed parts of a message). */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    if (bytes.length > 32) {
      this.buf.set(bytes, this.at);
      this.at += bytes.length;
      return;
    }
    // A short copy by hand: TypedArray.set costs more than the loop below for a few bytes.
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < bytes.length; i++) buf[at++] = bytes[i];
    this.at = at;
  }

  /** The `length` bytes written earlier at `start` (of this buffer, since the last reset), again. */
  again(start: number, length: number): void {
    this.reserve(length);
    const buf = this.buf;
    let at = this.at;
    for (let i = start; i < start + length; i++) buf[at++] = buf[i];
    this.at = at;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.at++] = b;
  }

  /** A JSON string, escaped as JSON.stringify escapes it. */
  string(s: string): void {
    this.reserve(s.length + 2);
    const buf = this.buf;
    let at = this.at;
    buf[at++] = 0x22;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) {
        // Escapes and non-ASCII: rare in stream keys, left to JSON.stringify and TextEncoder.
        this.text(JSON.stringify(s));
        return;
      }
      buf[at++] = c;
    }
    buf[at++] = 0x22;
    this.at = at;
  }

  /**
   * A number that JSON reads back as exactly `x` (as JSON.stringify prints it, except that a
   * short decimal below 1e-6 is not in exponent form); non-finite as null. Fast for integers
   * and decimals of up to 9 places, such as sensor readings.
   */
  exact(x: number): void {
    this.scratch[0] = x;
    this.exactAt(this.scratch, 0);
  }

  /**
   * `exact` of `a[i]`. Printers of many numbers pass them this way: a double
   * passed to a call that is not inlined is boxed, a heap allocation per number.
   */
  exactAt(a: Float64Array, i: number): void {
    const x = a[i];
    if (!Number.isFinite(x)) return this.null();
    if (Number.isSafeInteger(x)) return this.scaled(x, 0);
    for (let d = 1; d <= EXACT_DECIMALS; d++) {
      const m = Math.round(x * POW10[d]);
      if (m / POW10[d] === x && Math.abs(m) < MAX_SCALED) return this.scaled(m, d);
    }
    this.text(String(x));
  }

  /**
   * A number rounded to `decimals` places (0 to 22) and printed without trailing
   * zeros: the decimal that JSON reads back as the double nearest to it. Non-finite as null.
   */
  fixed(x: number, decimals: number): void {
    this.scratch[0] = x;
    this.fixedAt(this.scratch, 0, decimals);
  }

  /** `fixed` of `a[i]` (see `exactAt`). */
  fixedAt(a: Float64Array, i: number, decimals: number): void {
    const x = a[i];
    if (!Number.isFinite(x)) return this.null();
    const m = Math.round(x * POW10[decimals]);
    if (Math.abs(m) < MAX_SCALED) return this.scaled(m, decimals);
    this.text(String(x));
  }

  null(): void {
    this.reserve(4);
    for (const b of NULL) this.buf[this.at++] = b;
  }

  /** Text of any kind (UTF-8 encoded). */
  text(s: string): void {
    this.reserve(s.length * 3);
    this.at += encoder.encodeInto(s, this.buf.subarray(this.at)).written;
  }

  /** Prints the integer m (|m| < 2^53) divided by 10^d, without trailing zeros; -0 as 0. */
  private scaled(m: number, d: number): void {
    const a = m < 0 ? -m : m;
    // The digits, right to left, into the scratch, two at a time from int32s: the low eight of a
    // number past 2^31 first (the rest is below 2^31, as a < 2^53).
    const tmp = this.digits;
    let i = tmp.length;
    let v: number;
    if (a >= 2 ** 31) {
      const hi = Math.floor(a / 1e8);
      let lo = (a - hi * 1e8) | 0;
      for (let k = 0; k < 4; k++) {
        const q = (lo / 100) | 0;
        const pair = lo - q * 100;
        tmp[--i] = ONES[pair];
        tmp[--i] = TENS[pair];
        lo = q;
      }
      v = hi | 0;
    } else v = a | 0;
    while (v >= 100) {
      const q = (v / 100) | 0;
      const pair = v - q * 100;
      tmp[--i] = ONES[pair];
      tmp[--i] = TENS[pair];
      v = q;
    }
    tmp[--i] = ONES[v];
    if (v >= 10) tmp[--i] = TENS[v];
    // A fraction gets a whole part (0 at least); zeros at its end are dropped.
    while (tmp.length - i <= d) tmp[--i] = 0x30;
    let end = tmp.length;
    while (d > 0 && tmp[end - 1] === 0x30) {
      end--;
      d--;
    }
    this.reserve(end - i + 2);
    const buf = this.buf;
    let at = this.at;
    if (m < 0) buf[at++] = 0x2d; // m is a whole number: below 0 means at most -1
    const point = end - d;
    for (; i < point; i++) buf[at++] = tmp[i];
    if (d > 0) {
      buf[at++] = 0x2e;
      for (; i < end; i++) buf[at++] = tmp[i];
    }
    this.at = at;
  }

  private reserve(n: number): void {
    if (this.at + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }
}

/** UTF-8 bytes of fixed text. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
