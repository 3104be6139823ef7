import type { Forecast } from '../engine/reading.ts';
import type { Tick } from '../engine/stepTicks.ts';
import type { Db } from './openDatabase.ts';
import { toStoreError } from './storeErrors.ts';
import { StreamIds } from './streamIds.ts';

/** What a committed tick left in the store: for each stream in it, the id of its last reading. */
export interface WrittenTick {
  readonly lastReadingIds: ReadonlyMap<string, number>;
  readonly readings: number;
  readonly forecasts: number;
}

/** Readings per multi-row INSERT: one statement execution carries many rows, which is most of the cost. */
const CHUNK = 64;
const FORECAST_COLUMNS = 10;
/** Forecast row ids: reading_id × FORECAST_ID_STRIDE + the horizon's index (see migrations/0001_init.sql). */
export const FORECAST_ID_STRIDE = 16;

/**
 * Writes each tick's accepted readings and their forecasts in one transaction.
 * Rows go in multi-row INSERTs of up to CHUNK readings, from statements
 * prepared once per size. Readings get ids in acceptance order (consecutive
 * within a statement: an INTEGER PRIMARY KEY appends), which is the order
 * recovery replays them in.
 */
export class TickWriter {
  readonly streams: StreamIds;
  private readonly readingStatements = new Map<number, ReturnType<Db['prepare']>>();
  private readonly forecastStatements = new Map<string, ReturnType<Db['prepare']>>();
  private readonly writeAll: (forecasts: readonly Forecast[]) => WrittenTick;

  constructor(private readonly db: Db, private readonly file: string) {
    this.streams = new StreamIds(db);
    this.writeAll = db.transaction((forecasts: readonly Forecast[]) => {
      const last = new Map<string, number>();
      const lastTs = new Map<number, number>();
      const sids = forecasts.map((f) => this.streams.idOf(f.stream, f.ts));
      let rows = 0;
      for (let start = 0; start < forecasts.length; start += CHUNK) {
        const end = Math.min(start + CHUNK, forecasts.length);
        const params: number[] = [];
        for (let i = start; i < end; i++) params.push(sids[i], forecasts[i].ts, forecasts[i].value);
        const lastId = Number(this.readingInsert(end - start).run(params).lastInsertRowid);
        const firstId = lastId - (end - start) + 1;
        const fparams: (number | null)[] = [];
        for (let i = start; i < end; i++) {
          const f = forecasts[i];
          const rid = firstId + (i - start);
          f.points.forEach((p, k) => fparams.push(rid * FORECAST_ID_STRIDE + k, rid, sids[i], f.ts, p.horizon, p.ts, p.mean, p.lower, p.upper, f.modelVersion));
          last.set(f.stream, rid);
          lastTs.set(sids[i], f.ts);
        }
        if (fparams.length > 0) {
          this.forecastInsert(fparams.length / FORECAST_COLUMNS).run(fparams);
          rows += fparams.length / FORECAST_COLUMNS;
        }
      }
      for (const [sid, ts] of lastTs) this.streams.markSeen(sid, ts);
      return { lastReadingIds: last, readings: forecasts.length, forecasts: rows };
    });
  }

  /**
   * Commits the tick's accepted readings and forecasts, or nothing.
   * @throws StoreError naming the file (FC_ERR_STORE_FULL, FC_ERR_STORE_WRITE, …); the transaction is rolled back.
   */
  write(tick: Tick): WrittenTick {
    const forecasts = tick.outcomes.filter((o): o is Forecast => o.kind === 'forecast');
    try {
      return this.writeAll(forecasts);
    } catch (err) {
      // Ids of streams inserted in the rolled-back transaction are gone.
      this.streams.clear();
      throw toStoreError(err, this.file, 'writing a tick');
    }
  }

  /** Commits several ticks' forecasts in one transaction (group commit), or none of them. */
  writeMany(ticks: readonly (readonly Forecast[])[]): WrittenTick {
    try {
      return this.writeAll(ticks.flat());
    } catch (err) {
      this.streams.clear();
      throw toStoreError(err, this.file, 'writing ticks');
    }
  }

  private readingInsert(n: number): ReturnType<Db['prepare']> {
    let st = this.readingStatements.get(n);
    if (st === undefined) {
      st = this.db.prepare(`INSERT INTO readings (stream_id, ts, value) VALUES ${new Array(n).fill('(?, ?, ?)').join(', ')}`);
      this.readingStatements.set(n, st);
    }
    return st;
  }

  private forecastInsert(n: number): ReturnType<Db['prepare']> {
    const key = String(n);
    let st = this.forecastStatements.get(key);
    if (st === undefined) {
      const row = `(${new Array(FORECAST_COLUMNS).fill('?').join(', ')})`;
      st = this.db.prepare(
        `INSERT INTO forecasts (id, reading_id, stream_id, made_at, horizon, target_ts, mean, lower, upper, model_version) VALUES ${new Array(n).fill(row).join(', ')}`,
      );
      this.forecastStatements.set(key, st);
    }
    return st;
  }
}
