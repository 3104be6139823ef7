/**
 * Small integer codes for stream keys, for the life of the process: a tick's
 * rows carry codes, and the threads that need the keys (the store writer, the
 * feed encoder) are sent each key once, the first time a tick of theirs holds
 * it, instead of structured-cloning every row's key string with every tick
 * (a string cloned out and rebuilt on the other side: at 80,000 readings/s the
 * two hand-offs took ~1.5 µs a reading on the main thread alone). Codes are
 * dense and never reused, so a thread's table is an array, and a key's string
 * and printed bytes are built once there. One entry per stream ever seen, as
 * the writer's stream-id cache already holds.
 */
export class StreamCodes {
  private readonly codes = new Map<string, number>();
  private readonly keys: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  codeOf(key: string): number {
    let code = this.codes.get(key);
    if (code === undefined) {
      code = this.keys.length;
      this.keys.push(key);
      this.codes.set(key, code);
    }
    return code;
  }

  keyOf(code: number): string {
    return this.keys[code];
  }

  /** The keys of codes `from` and up, in code order. */
  keysFrom(from: number): string[] {
    return this.keys.slice(from);
  }
}

/** The process's codes: every tick's rows are coded here. */
export const streamCodes = new StreamCodes();

/** The keys coded since the last delta: sent along with a tick so the thread on the other side knows every code in it. */
export interface KeyDelta {
  /** The code of keys[0]: the receiver's table must be exactly this long. */
  readonly base: number;
  readonly keys: string[];
}

/** One thread's side of what another thread has been told: call `delta` once the tick's rows are coded. */
export class KeySender {
  private sent = 0;

  constructor(private readonly codes: StreamCodes = streamCodes) {}

  delta(): KeyDelta {
    const base = this.sent;
    this.sent = this.codes.size;
    return { base, keys: base === this.sent ? [] : this.codes.keysFrom(base) };
  }
}

/** The receiving side: the keys by code, as deltas told them. */
export class KeyTable {
  private readonly keys: string[] = [];
  /** Codes by key: built on first use (most tables only map codes to keys). */
  private codes: Map<string, number> | null = null;

  /**
   * Every table is a prefix of the process's one code list, so a delta may
   * repeat keys this table has (another sender brought it further): those are skipped.
   * @throws RangeError when keys before the delta are missing.
   */
  apply(delta: KeyDelta): void {
    if (delta.base > this.keys.length) throw new RangeError(`stream key delta starts at code ${delta.base}; this table holds ${this.keys.length}`);
    for (let i = this.keys.length - delta.base; i < delta.keys.length; i++) {
      this.codes?.set(delta.keys[i], this.keys.length);
      this.keys.push(delta.keys[i]);
    }
  }

  /** The code of a key this table has been told, or undefined. */
  codeOf(key: string): number | undefined {
    this.codes ??= new Map(this.keys.map((k, code) => [k, code]));
    return this.codes.get(key);
  }

  keyOf(code: number): string {
    return this.keys[code];
  }

  get size(): number {
    return this.keys.length;
  }
}
