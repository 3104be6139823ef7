import type { Tick } from '../engine/stepTicks.ts';
import type { Db } from './openDatabase.ts';
import { toStoreError } from './storeErrors.ts';
import { KeySender, KeyTable } from '../engine/streamCodes.ts';
import { StreamIds } from './streamIds.ts';
import { POINT_FIELDS } from './forecastPoints.ts';
import { MultiRowInsert } from './multiRowInsert.ts';
import { ReadingIndex, type ReadingIndexOptions } from './readingIndex.ts';
import { withRoomFor } from '../util/typedArrays.ts';
import { packTick, type PackedTick } from './writerProtocol.ts';

/** What a commit left in the store. */
export interface WrittenTick {
  readonly readings: number;
}

/** Readings per multi-row INSERT: one statement execution carries many rows, which is most of the cost. */
const CHUNK = 64;

/**
 * Writes each tick's accepted readings and their forecasts in one transaction:
 * a `readings` row and a `forecasts` row (every horizon in one BLOB) per
 * reading, in multi-row INSERTs of up to CHUNK readings from statements
 * prepared once per size. Readings get ids in acceptance order (consecutive
 * within a statement: an INTEGER PRIMARY KEY appends), which is the order
 * recovery replays them in. `streams.last_seen` is not touched here (an UPDATE
 * per reading cost as much as its forecasts): snapshots keep it, and the
 * streams API reads the latest reading. Readings are indexed by stream later,
 * in sorted batches (`index`, readingIndex.ts), not as each tick commits.
 */
export class TickWriter {
  readonly streams: StreamIds;
  /** The stream keys by code, as the packed ticks told them, and each code's stream id once looked up (0: not yet). */
  private readonly keys = new KeyTable();
  private sids = new Float64Array(1024);
  /** For `write`: the keys this writer's own packing has told it. */
  private readonly ownKeys = new KeySender();
  private indexer: ReadingIndex | null = null;
  private readonly readingRows: MultiRowInsert<number>;
  private readonly forecastRows: MultiRowInsert<number | Uint8Array>;
  /** The tick's stream ids: reused, filled in place. */
  private tickSids = new Float64Array(1024);
  /** Each code's last committed reading id (0: none yet), and the (code, id) pairs of the transaction in progress. */
  private lastIds = new Float64Array(1024);
  private pendingCodes = new Int32Array(1024);
  private pendingIds = new Float64Array(1024);
  private pending = 0;
  private readonly writeAll: (ticks: readonly PackedTick[]) => WrittenTick;

  constructor(private readonly db: Db, private readonly file: string, private readonly indexOptions?: ReadingIndexOptions) {
    this.streams = new StreamIds(db);
    this.readingRows = new MultiRowInsert(db, 'INSERT INTO readings (stream_id, ts, value)', 3);
    this.forecastRows = new MultiRowInsert(db, 'INSERT INTO forecasts (reading_id, made_at, model_version, points)', 4);
    this.writeAll = db.transaction((ticks: readonly PackedTick[]) => {
      const index = this.index;
      this.pending = 0;
      let readings = 0;
      for (const t of ticks) {
        this.keys.apply(t.keys);
        const n = t.codes.length;
        const size = t.horizons * POINT_FIELDS;
        const sids = (this.tickSids = withRoomFor(this.tickSids, n - 1));
        for (let i = 0; i < n; i++) sids[i] = this.sidOf(t.codes[i], t.ts[i]);
        for (let start = 0; start < n; start += CHUNK) {
          const end = Math.min(start + CHUNK, n);
          const rows = end - start;
          const params = this.readingRows.params(rows);
          for (let i = start, p = 0; i < end; i++) {
            params[p++] = sids[i];
            params[p++] = t.ts[i];
            params[p++] = t.value[i];
          }
          const firstId = this.readingRows.run(rows) - rows + 1;
          const fparams = this.forecastRows.params(rows);
          for (let i = start, p = 0; i < end; i++) {
            const rid = firstId + (i - start);
            fparams[p++] = rid;
            fparams[p++] = t.ts[i];
            fparams[p++] = t.modelVersion[i];
            // A view of the reading's points (better-sqlite3 binds any Uint8Array as a BLOB).
            fparams[p++] = new Uint8Array(t.points.buffer, t.points.byteOffset + i * size * 8, size * 8);
            this.pend(t.codes[i], rid);
            index.stage(sids[i], rid, t.ts, t.value, i);
          }
          this.forecastRows.run(rows);
        }
        readings += n;
      }
      return { readings };
    });
  }

  /**
   * Commits the tick's accepted readings and forecasts, or nothing; says, for each stream in it, the id of its last reading.
   * @throws StoreError naming the file (FC_ERR_STORE_FULL, FC_ERR_STORE_WRITE, …); the transaction is rolled back.
   */
  write(tick: Tick): WrittenTick & { readonly lastReadingIds: ReadonlyMap<string, number> } {
    const written = this.writeMany([packTick(tick, this.ownKeys)]);
    const lastReadingIds = new Map<string, number>();
    for (let i = 0; i < this.pending; i++) lastReadingIds.set(this.keys.keyOf(this.pendingCodes[i]), this.pendingIds[i]);
    return { ...written, lastReadingIds };
  }

  /** Commits several packed ticks in one transaction (group commit), or none of them. */
  writeMany(ticks: readonly PackedTick[]): WrittenTick {
    try {
      const written = this.writeAll(ticks);
      this.index.commit();
      for (let i = 0; i < this.pending; i++) this.lastIds[this.pendingCodes[i]] = this.pendingIds[i];
      return written;
    } catch (err) {
      // Ids of streams inserted in the rolled-back transaction are gone.
      this.streams.clear();
      this.sids.fill(0);
      this.indexer?.rollback();
      throw toStoreError(err, this.file, 'writing ticks');
    }
  }

  /** The id of the stream's last reading committed by this writer, or undefined when it committed none. */
  lastIdOf(key: string): number | undefined {
    const code = this.keys.codeOf(key);
    const id = code === undefined || code >= this.lastIds.length ? 0 : this.lastIds[code];
    return id > 0 ? id : undefined;
  }

  /** The readings waiting to be indexed by stream (loaded from the file on first use); the writer drives its `step`. */
  get index(): ReadingIndex {
    this.indexer ??= new ReadingIndex(this.db, this.file, this.indexOptions);
    return this.indexer;
  }

  /** Notes (code, reading id) for the transaction in progress, and makes room for the code in `lastIds`. */
  private pend(code: number, id: number): void {
    this.pendingCodes = withRoomFor(this.pendingCodes, this.pending);
    this.pendingIds = withRoomFor(this.pendingIds, this.pending);
    this.lastIds = withRoomFor(this.lastIds, code);
    this.pendingCodes[this.pending] = code;
    this.pendingIds[this.pending++] = id;
  }

  /** The stream id of the key with this code, looked up (or the stream created) on its first reading. */
  private sidOf(code: number, ts: number): number {
    this.sids = withRoomFor(this.sids, code);
    let sid = this.sids[code];
    if (sid === 0) sid = this.sids[code] = this.streams.idOf(this.keys.keyOf(code), ts);
    return sid;
  }
}
