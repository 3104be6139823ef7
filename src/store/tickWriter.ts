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

/**
 * Writes each tick's accepted readings and their forecasts in one transaction,
 * with statements prepared once. Readings get ids in acceptance order, which
 * is the order recovery replays them in.
 */
export class TickWriter {
  readonly streams: StreamIds;
  private readonly insertReading;
  private readonly insertForecast;
  private readonly writeAll: (forecasts: readonly Forecast[]) => WrittenTick;

  constructor(private readonly db: Db, private readonly file: string) {
    this.streams = new StreamIds(db);
    this.insertReading = db.prepare('INSERT INTO readings (stream_id, ts, value) VALUES (?, ?, ?)');
    this.insertForecast = db.prepare(
      'INSERT INTO forecasts (reading_id, stream_id, made_at, horizon, target_ts, mean, lower, upper, model_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.writeAll = db.transaction((forecasts: readonly Forecast[]) => {
      const last = new Map<string, number>();
      const lastTs = new Map<number, number>();
      let rows = 0;
      for (const f of forecasts) {
        const sid = this.streams.idOf(f.stream, f.ts);
        const rid = Number(this.insertReading.run(sid, f.ts, f.value).lastInsertRowid);
        for (const p of f.points) {
          this.insertForecast.run(rid, sid, f.ts, p.horizon, p.ts, p.mean, p.lower, p.upper, f.modelVersion);
          rows++;
        }
        last.set(f.stream, rid);
        lastTs.set(sid, f.ts);
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
}
