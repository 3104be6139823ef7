import { withRoomFor } from '../util/typedArrays.ts';
import { type StreamCodes, streamCodes } from './streamCodes.ts';

const UNLISTED = 0;
const MARKED = 1;
/** Unmarked since it was listed: it stays in the list until the next clear. */
const DROPPED = 2;

/**
 * The streams whose in-memory state is newer than their stored snapshot, by
 * stream code: marking a tick's rows costs a flag a reading where a Set of keys
 * hashed every key (a Set add a reading was about 6 % of the main thread at
 * full load). Iterates keys in the order they were first marked since the last clear.
 */
export class DirtyStreams {
  private flags = new Int32Array(1024);
  /** Codes listed since the last clear, each once (those dropped since are skipped). */
  private list = new Int32Array(1024);
  private listed = 0;
  private marked = 0;

  constructor(private readonly codes: StreamCodes = streamCodes) {}

  get size(): number {
    return this.marked;
  }

  /** Marks the stream of each code (a tick's rows). */
  markCodes(codes: Int32Array): void {
    for (let i = 0; i < codes.length; i++) this.markCode(codes[i]);
  }

  markCode(code: number): void {
    this.flags = withRoomFor(this.flags, code);
    const flag = this.flags[code];
    if (flag === MARKED) return;
    if (flag === UNLISTED) {
      this.list = withRoomFor(this.list, this.listed);
      this.list[this.listed++] = code;
    }
    this.flags[code] = MARKED;
    this.marked++;
  }

  add(key: string): void {
    this.markCode(this.codes.codeOf(key));
  }

  delete(key: string): void {
    const code = this.codes.codeOf(key);
    if (code < this.flags.length && this.flags[code] === MARKED) {
      this.flags[code] = DROPPED;
      this.marked--;
    }
  }

  has(key: string): boolean {
    const code = this.codes.codeOf(key);
    return code < this.flags.length && this.flags[code] === MARKED;
  }

  clear(): void {
    for (let i = 0; i < this.listed; i++) this.flags[this.list[i]] = UNLISTED;
    this.listed = 0;
    this.marked = 0;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.listed; i++) {
      const code = this.list[i];
      if (this.flags[code] === MARKED) yield this.codes.keyOf(code);
    }
  }
}
