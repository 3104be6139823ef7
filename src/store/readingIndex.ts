import type { Db } from './openDatabase.ts';
import { MultiRowInsert } from './multiRowInsert.ts';
import { toStoreError } from './storeErrors.ts';
import { indexMark } from './streamReadings.ts';
import { MAX_ORDERED, StreamOrder } from './streamOrder.ts';

export interface ReadingIndexOptions {
  /** Index once this many readings wait (at most 2^21). */
  readonly batch: number;
  /** …or once the oldest waiting reading has waited this long. */
  readonly maxDelayMs: number;
  /** Readings per transaction while a batch is written, so ticks commit in between. */
  readonly chunk: number;
}

export const READING_INDEX_DEFAULTS: ReadingIndexOptions = { batch: 131_072, maxDelayMs: 2000, chunk: 1024 };

/** Rows per INSERT statement. */
const ROWS = 64;

/**
 * Keeps `reading_index` (migrations/0004_reading_index.sql) up to date from
 * the writer's connection. Committed readings wait here (stream, time, id,
 * value in typed arrays, nothing allocated per reading); when `batch` of them
 * wait, or the oldest has waited `maxDelayMs`, they are sorted by stream and
 * written `chunk` at a time, each chunk its own short transaction, and the
 * last chunk moves the mark past them. A batch of N readings over S streams
 * writes each stream's page once instead of N/S times.
 *
 * Rows of a batch interrupted by a crash are written again after the restart
 * (INSERT OR IGNORE): what waits is loaded back from the readings past the mark.
 */
export class ReadingIndex {
  private sid = new Int32Array(0);
  private ts = new Float64Array(0);
  private rid = new Float64Array(0);
  private value = new Float64Array(0);
  /** Committed readings waiting; `staged` more belong to the transaction in progress. */
  private length = 0;
  private staged = 0;
  /** When the oldest waiting reading was committed (performance.now()). */
  private oldestAt = 0;
  /** The batch being written: its first `count` waiting readings, in stream order; `done` of them written. */
  private flushing: { order: Int32Array; count: number; done: number } | null = null;
  private readonly byStream = new StreamOrder();
  private readonly rows: MultiRowInsert<number>;
  private readonly setMark;
  private readonly writeChunk: (from: number, to: number, last: boolean) => void;

  constructor(private readonly db: Db, private readonly file: string, private readonly options: ReadingIndexOptions = READING_INDEX_DEFAULTS) {
    if (!(options.batch >= 1 && options.batch <= MAX_ORDERED)) throw new RangeError(`batch must be in [1, ${MAX_ORDERED}], got ${options.batch}`);
    this.setMark = db.prepare('UPDATE reading_index_mark SET indexed_to = ?');
    this.rows = new MultiRowInsert(db, 'INSERT OR IGNORE INTO reading_index (stream_id, ts, id, value)', 4);
    this.writeChunk = db.transaction((from: number, to: number, last: boolean) => {
      const f = this.flushing as { order: Int32Array; count: number };
      for (let start = from; start < to; start += ROWS) {
        const end = Math.min(start + ROWS, to);
        const params = this.rows.params(end - start);
        for (let k = start, p = 0; k < end; k++) {
          const i = f.order[k];
          params[p++] = this.sid[i];
          params[p++] = this.ts[i];
          params[p++] = this.rid[i];
          params[p++] = this.value[i];
        }
        this.rows.run(end - start);
      }
      if (last) this.setMark.run(this.rid[f.count - 1]);
    });
    this.grow(Math.min(options.batch, 4096));
    this.load();
  }

  /** Readings committed and not yet indexed. */
  get waiting(): number {
    return this.length;
  }

  /**
   * Adds a reading of the transaction in progress (`commit` or `rollback` follows): its time and
   * value are `ts[at]` and `value[at]` (by index: a double passed to a call is boxed, an allocation
   * per reading on the writer's hot path).
   */
  stage(sid: number, rid: number, ts: Float64Array, value: Float64Array, at: number): void {
    const i = this.length + this.staged;
    if (i === this.sid.length) this.grow(i * 2);
    this.sid[i] = sid;
    this.ts[i] = ts[at];
    this.rid[i] = rid;
    this.value[i] = value[at];
    this.staged++;
  }

  /** The staged readings were committed. */
  commit(): void {
    if (this.length === 0 && this.staged > 0) this.oldestAt = performance.now();
    this.length += this.staged;
    this.staged = 0;
  }

  /** The staged readings were rolled back. */
  rollback(): void {
    this.staged = 0;
  }

  /** Whether more than two batches wait: indexing falls behind the readings coming in. */
  get behind(): boolean {
    return this.length > 2 * this.options.batch;
  }

  /** Whether a chunk is due: a batch is being written, or one is full or old enough. */
  due(now = performance.now()): boolean {
    return this.flushing !== null || this.length >= this.options.batch || (this.length > 0 && now - this.oldestAt >= this.options.maxDelayMs);
  }

  /**
   * Writes the next chunk, if one is due. Returns how many readings it indexed (0: none was due).
   * @throws StoreError naming the file; the chunk is rolled back and tried again by the next call.
   */
  step(now = performance.now()): number {
    if (!this.due(now)) return 0;
    const f = this.flushing ?? this.startBatch();
    const to = Math.min(f.done + this.options.chunk, f.count);
    const last = to === f.count;
    try {
      this.writeChunk(f.done, to, last);
    } catch (err) {
      throw toStoreError(err, this.file, 'indexing readings by stream');
    }
    const n = to - f.done;
    f.done = to;
    if (last) this.endBatch(f.count);
    return n;
  }

  /** Indexes every waiting reading now (on close, in tests). */
  flush(): void {
    while (this.length > 0) this.step(Infinity);
  }

  /** The id of the latest waiting reading of each stream with one waiting. */
  lastIds(): Map<number, number> {
    const last = new Map<number, number>();
    for (let i = 0; i < this.length; i++) last.set(this.sid[i], this.rid[i]);
    return last;
  }

  /** Orders the first waiting readings (up to a batch) by stream, keeping their order within a stream. */
  private startBatch(): { order: Int32Array; count: number; done: number } {
    const count = Math.min(this.length, this.options.batch);
    this.flushing = { order: this.byStream.sort(this.sid, count), count, done: 0 };
    return this.flushing;
  }

  /** Drops the indexed batch from the front of the waiting readings. */
  private endBatch(count: number): void {
    const rest = this.length - count;
    for (const a of [this.sid, this.ts, this.rid, this.value]) a.copyWithin(0, count, this.length + this.staged);
    this.length = rest;
    this.flushing = null;
    // The rest were committed after the batch started: counting their wait from now errs by at most a batch's time.
    if (rest > 0) this.oldestAt = performance.now();
  }

  /** Loads the readings past the mark: those committed before a restart and not yet indexed. */
  private load(): void {
    const mark = indexMark(this.db);
    const rows = this.db.prepare('SELECT stream_id, ts, id, value FROM readings WHERE id > ? ORDER BY id').raw().iterate(mark) as IterableIterator<[number, number, number, number]>;
    const ts1 = new Float64Array(1);
    const value1 = new Float64Array(1);
    for (const [sid, ts, rid, value] of rows) {
      ts1[0] = ts;
      value1[0] = value;
      this.stage(sid, rid, ts1, value1, 0);
    }
    this.commit();
  }

  private grow(capacity: number): void {
    const copy = <T extends Int32Array | Float64Array>(a: T, b: T): T => {
      b.set(a.subarray(0, this.length + this.staged));
      return b;
    };
    this.sid = copy(this.sid, new Int32Array(capacity));
    this.ts = copy(this.ts, new Float64Array(capacity));
    this.rid = copy(this.rid, new Float64Array(capacity));
    this.value = copy(this.value, new Float64Array(capacity));
  }
}
