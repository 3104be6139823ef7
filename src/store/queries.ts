import type { Db } from './openDatabase.ts';
import type { StreamIds } from './streamIds.ts';
import { decodePoints } from './forecastPoints.ts';
import { INDEX_MARK, readingsOfStream } from './streamReadings.ts';

export interface StreamRow {
  readonly key: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** One forecast of a reading, at one horizon, as the HTTP API returns it. */
export interface ForecastRow {
  readonly madeAt: number;
  readonly horizon: number;
  readonly targetTs: number | null;
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
  readonly modelVersion: number;
}

export interface TimeRange {
  readonly from: number;
  readonly to: number;
  readonly limit: number;
}

/**
 * Read-only queries behind the HTTP API, on the main connection (WAL: they never
 * wait for the writer). Statements are prepared once; stream ids come from the
 * store's StreamIds cache.
 */
export class StoreQueries {
  private readonly allStreams;
  private readonly matchingStreams;
  private readonly tailLastSeen;
  private readonly readingsIn;
  private readonly forecastsIn;
  private readonly alertList;

  constructor(db: Db, private readonly streamIds: StreamIds) {
    // last_seen is only refreshed by snapshots: the latest indexed reading (one seek) and the
    // latest of the unindexed tail (one pass over it per page, below) are exact.
    const lastSeen = 'coalesce((SELECT max(x.ts) FROM reading_index x WHERE x.stream_id = s.id), s.last_seen) AS lastSeen';
    this.allStreams = db.prepare<[number, number], StreamRow & { id: number }>(
      `SELECT s.id AS id, s.key AS key, s.first_seen AS firstSeen, ${lastSeen} FROM streams s ORDER BY s.key LIMIT ? OFFSET ?`,
    );
    this.matchingStreams = db.prepare<[string, number, number], StreamRow & { id: number }>(
      `SELECT s.id AS id, s.key AS key, s.first_seen AS firstSeen, ${lastSeen} FROM streams s WHERE s.key GLOB ? ORDER BY s.key LIMIT ? OFFSET ?`,
    );
    this.tailLastSeen = db.prepare<[string], { sid: number; ts: number }>(
      `SELECT stream_id AS sid, max(ts) AS ts FROM readings
       WHERE id > ${INDEX_MARK} AND stream_id IN (SELECT value FROM json_each(?)) GROUP BY stream_id`,
    );
    this.readingsIn = db.prepare<{ sid: number; from: number; to: number; limit: number }, { ts: number; value: number; id: number }>(
      readingsOfStream({ columns: 'r.ts AS ts, r.value AS value, r.id AS id', where: 'r.stream_id = @sid AND r.ts BETWEEN @from AND @to', limit: '@limit' }),
    );
    this.forecastsIn = db.prepare<{ sid: number; from: number; to: number }, { madeAt: number; modelVersion: number; points: Buffer }>(
      readingsOfStream({
        columns: 'r.ts AS ts, r.id AS id, f.made_at AS madeAt, f.model_version AS modelVersion, f.points AS points',
        join: 'JOIN forecasts f ON f.reading_id = r.id',
        where: 'r.stream_id = @sid AND r.ts BETWEEN @from AND @to',
      }),
    );
    this.alertList = db.prepare<[number, number], Record<string, unknown>>(
      `SELECT a.id, s.key AS stream, a.opened_at AS openedAt, a.resolved_at AS resolvedAt, a.severity, a.kind, a.score, a.details
       FROM alerts a JOIN streams s ON s.id = a.stream_id WHERE (? = 0 OR a.resolved_at IS NULL) ORDER BY a.opened_at DESC LIMIT ?`,
    );
  }

  /** Streams whose key matches `glob` (all when null), by key. */
  streams(glob: string | null, limit: number, offset: number): StreamRow[] {
    // GLOB's own `*`/`?` match the engine's patterns; `[` is escaped so keys may hold it.
    const rows = glob === null ? this.allStreams.all(limit, offset) : this.matchingStreams.all(glob.replace(/\[/g, '[[]'), limit, offset);
    if (rows.length === 0) return [];
    const tail = new Map<number, number>();
    for (const r of this.tailLastSeen.iterate(JSON.stringify(rows.map((r) => r.id)))) tail.set(r.sid, r.ts);
    return rows.map((r) => ({ key: r.key, firstSeen: r.firstSeen, lastSeen: Math.max(r.lastSeen, tail.get(r.id) ?? -Infinity) }));
  }

  /** The stream's readings in [from, to], oldest first; undefined for an unknown stream. */
  readings(key: string, r: TimeRange): { ts: number; value: number }[] | undefined {
    const sid = this.streamIds.find(key);
    return sid === undefined ? undefined : this.readingsIn.all({ sid, from: r.from, to: r.to, limit: r.limit }).map(({ ts, value }) => ({ ts, value }));
  }

  /** Forecasts made after the stream's readings in [from, to] (optionally one horizon), oldest first. */
  forecasts(key: string, r: TimeRange, horizon: number | null): ForecastRow[] | undefined {
    const sid = this.streamIds.find(key);
    if (sid === undefined) return undefined;
    // A row per reading and horizon, as before migration 3 packed a reading's horizons into one row.
    const out: ForecastRow[] = [];
    for (const row of this.forecastsIn.iterate({ sid, from: r.from, to: r.to })) {
      for (const p of decodePoints(row.points)) {
        if (horizon !== null && p.horizon !== horizon) continue;
        out.push({ madeAt: row.madeAt, horizon: p.horizon, targetTs: p.targetTs, mean: p.mean, lower: p.lower, upper: p.upper, modelVersion: row.modelVersion });
      }
      if (out.length >= r.limit) break;
    }
    return out.slice(0, r.limit);
  }

  /** Alerts, newest first; only open ones when `openOnly`. */
  alerts(openOnly: boolean, limit: number): Record<string, unknown>[] {
    return this.alertList.all(openOnly ? 1 : 0, limit);
  }
}
