/**
 * Writes JSON straight into UTF-8 bytes: strings, and numbers printed from
 * integer arithmetic (see bytePrint.ts).
 */
import { MAX_NUMBER_BYTES, putBytes, putExact, putFixed, putNull, putText } from './bytePrint.ts';

const encoder = new TextEncoder();

export class JsonBytes {
  private buf: Uint8Array;
  private bufView: DataView;
  private at = 0;
  /** For `exact` and `fixed`: the put* printers take numbers by index. */
  private readonly scratch = new Float64Array(1);

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
    this.bufView = new DataView(this.buf.buffer);
  }

  /** A view of the buffer `claim` last returned (for `putSnippet` and `copyBytes`). */
  get view(): DataView {
    return this.bufView;
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
    this.at = putBytes(this.buf, this.at, bytes);
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

  /** A number that JSON reads back as exactly `x` (see `putExact`); non-finite as null. */
  exact(x: number): void {
    this.scratch[0] = x;
    this.reserve(MAX_NUMBER_BYTES);
    this.at = putExact(this.buf, this.at, this.scratch, 0);
  }

  /** A number rounded to `decimals` places (0 to 22), without trailing zeros (see `putFixed`). Non-finite as null. */
  fixed(x: number, decimals: number): void {
    this.scratch[0] = x;
    this.reserve(MAX_NUMBER_BYTES);
    this.at = putFixed(this.buf, this.at, this.scratch, 0, decimals);
  }

  null(): void {
    this.reserve(4);
    this.at = putNull(this.buf, this.at);
  }

  /** Text of any kind (UTF-8 encoded). */
  text(s: string): void {
    this.reserve(s.length * 3);
    this.at = putText(this.buf, this.at, s);
  }

  /**
   * Room for `n` more bytes: the buffer to write them into from `length` on, for a
   * printer that keeps its position in a local; `advance` hands the position back.
   */
  claim(n: number): Uint8Array {
    this.reserve(n);
    return this.buf;
  }

  /** Bytes written so far become `at` (after a `claim`). */
  advance(at: number): void {
    this.at = at;
  }

  private reserve(n: number): void {
    if (this.at + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.bufView = new DataView(next.buffer);
  }
}

/** UTF-8 bytes of fixed text. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
