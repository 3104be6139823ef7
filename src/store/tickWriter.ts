import type { Tick } from '../engine/stepTicks.ts';
import type { Db } from './openDatabase.ts';
import { toStoreError } from './storeErrors.ts';
import { KeySender, KeyTable } from '../engine/streamCodes.ts';
import { StreamIds } from './streamIds.ts';
import { POINT_FIELDS } from './forecastPoints.ts';
import { ReadingIndex, type ReadingIndexOptions } from './readingIndex.ts';
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
  private readonly readingStatements = new Map<number, ReturnType<Db['prepare']>>();
  private readonly forecastStatements = new Map<number, ReturnType<Db['prepare']>>();
  /** The tick's stream ids, and each statement size's parameter arrays: reused, filled in place. */
  private tickSids = new Float64Array(1024);
  private readonly readingParams = new Map<number, number[]>();
  private readonly forecastParams = new Map<number, (number | Uint8Array)[]>();
  /** Each code's last committed reading id (0: none yet), and the (code, id) pairs of the transaction in progress. */
  private lastIds = new Float64Array(1024);
  private pendingCodes = new Int32Array(1024);
  private pendingIds = new Float64Array(1024);
  private pending = 0;
  private readonly writeAll: (ticks: readonly PackedTick[]) => WrittenTick;

  constructor(private readonly db: Db, private readonly file: string, private readonly indexOptions?: ReadingIndexOptions) {
    this.streams = new StreamIds(db);
    this.writeAll = db.transaction((ticks: readonly PackedTick[]) => {
      const index = this.index;
      this.pending = 0;
      let readings = 0;
      for (const t of ticks) {
        this.keys.apply(t.keys);
        const n = t.codes.length;
        const size = t.horizons * POINT_FIELDS;
        if (this.tickSids.length < n) this.tickSids = new Float64Array(Math.max(n, 2 * this.tickSids.length));
        const sids = this.tickSids;
        for (let i = 0; i < n; i++) sids[i] = this.sidOf(t.codes[i], t.ts[i]);
        for (let start = 0; start < n; start += CHUNK) {
          const end = Math.min(start + CHUNK, n);
          const rows = end - start;
          const params = this.params(this.readingParams, 3, rows);
          for (let i = start, p = 0; i < end; i++) {
            params[p++] = sids[i];
            params[p++] = t.ts[i];
            params[p++] = t.value[i];
          }
          const lastId = Number(this.insert(this.readingStatements, 'readings (stream_id, ts, value)', 3, rows).run(params).lastInsertRowid);
          const firstId = lastId - rows + 1;
          const fparams = this.params(this.forecastParams, 4, rows);
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
          this.insert(this.forecastStatements, 'forecasts (reading_id, made_at, model_version, points)', 4, rows).run(fparams);
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
    if (this.pending === this.pendingCodes.length) {
      const codes = new Int32Array(this.pending * 2);
      codes.set(this.pendingCodes);
      const ids = new Float64Array(this.pending * 2);
      ids.set(this.pendingIds);
      this.pendingCodes = codes;
      this.pendingIds = ids;
    }
    if (code >= this.lastIds.length) {
      const grown = new Float64Array(Math.max(code + 1, this.lastIds.length * 2));
      grown.set(this.lastIds);
      this.lastIds = grown;
    }
    this.pendingCodes[this.pending] = code;
    this.pendingIds[this.pending++] = id;
  }

  /** The stream id of the key with this code, looked up (or the stream created) on its first reading. */
  private sidOf(code: number, ts: number): number {
    if (code >= this.sids.length) {
      const grown = new Float64Array(Math.max(code + 1, this.sids.length * 2));
      grown.set(this.sids);
      this.sids = grown;
    }
    let sid = this.sids[code];
    if (sid === 0) sid = this.sids[code] = this.streams.idOf(this.keys.keyOf(code), ts);
    return sid;
  }

  /** The parameter array of a `rows`-row statement of `columns` columns, made once and refilled. */
  private params<T>(cache: Map<number, T[]>, columns: number, rows: number): T[] {
    let params = cache.get(rows);
    if (params === undefined) {
      params = new Array<T>(columns * rows);
      cache.set(rows, params);
    }
    return params;
  }

  /** The multi-row INSERT of `rows` rows into `target` (`table (columns)`, `columns` of them), prepared once. */
  private insert(cache: Map<number, ReturnType<Db['prepare']>>, target: string, columns: number, rows: number): ReturnType<Db['prepare']> {
    let st = cache.get(rows);
    if (st === undefined) {
      const row = `(${new Array(columns).fill('?').join(', ')})`;
      st = this.db.prepare(`INSERT INTO ${target} VALUES ${new Array(rows).fill(row).join(', ')}`);
      cache.set(rows, st);
    }
    return st;
  }
}
