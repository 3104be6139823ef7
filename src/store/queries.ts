import type { Db } from './openDatabase.ts';
import type { StreamIds } from './streamIds.ts';
import { FORECAST_ID_STRIDE } from './tickWriter.ts';

export interface StreamRow {
  readonly key: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
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
  private readonly readingsIn;
  private readonly forecastsIn;
  private readonly alertList;

  constructor(db: Db, private readonly streamIds: StreamIds) {
    this.allStreams = db.prepare<[number, number], StreamRow>('SELECT key, first_seen AS firstSeen, last_seen AS lastSeen FROM streams ORDER BY key LIMIT ? OFFSET ?');
    this.matchingStreams = db.prepare<[string, number, number], StreamRow>(
      'SELECT key, first_seen AS firstSeen, last_seen AS lastSeen FROM streams WHERE key GLOB ? ORDER BY key LIMIT ? OFFSET ?',
    );
    this.readingsIn = db.prepare<[number, number, number, number], { ts: number; value: number }>(
      'SELECT ts, value FROM readings WHERE stream_id = ? AND ts BETWEEN ? AND ? ORDER BY ts LIMIT ?',
    );
    this.forecastsIn = db.prepare<[number, number, number, number | null, number | null, number], Record<string, number | null>>(
      `SELECT f.made_at AS madeAt, f.horizon AS horizon, f.target_ts AS targetTs, f.mean AS mean, f.lower AS lower, f.upper AS upper, f.model_version AS modelVersion
       FROM readings r JOIN forecasts f ON f.id BETWEEN r.id * ${FORECAST_ID_STRIDE} AND r.id * ${FORECAST_ID_STRIDE} + ${FORECAST_ID_STRIDE - 1}
       WHERE r.stream_id = ? AND r.ts BETWEEN ? AND ? AND (? IS NULL OR f.horizon = ?) ORDER BY r.ts, f.horizon LIMIT ?`,
    );
    this.alertList = db.prepare<[number, number], Record<string, unknown>>(
      `SELECT a.id, s.key AS stream, a.opened_at AS openedAt, a.resolved_at AS resolvedAt, a.severity, a.kind, a.score, a.details
       FROM alerts a JOIN streams s ON s.id = a.stream_id WHERE (? = 0 OR a.resolved_at IS NULL) ORDER BY a.opened_at DESC LIMIT ?`,
    );
  }

  /** Streams whose key matches `glob` (all when null), by key. */
  streams(glob: string | null, limit: number, offset: number): StreamRow[] {
    // GLOB's own `*`/`?` match the engine's patterns; `[` is escaped so keys may hold it.
    return glob === null ? this.allStreams.all(limit, offset) : this.matchingStreams.all(glob.replace(/\[/g, '[[]'), limit, offset);
  }

  /** The stream's readings in [from, to], oldest first; undefined for an unknown stream. */
  readings(key: string, r: TimeRange): { ts: number; value: number }[] | undefined {
    const sid = this.streamIds.find(key);
    return sid === undefined ? undefined : this.readingsIn.all(sid, r.from, r.to, r.limit);
  }

  /** Forecasts made after the stream's readings in [from, to] (optionally one horizon), oldest first. */
  forecasts(key: string, r: TimeRange, horizon: number | null): Record<string, number | null>[] | undefined {
    const sid = this.streamIds.find(key);
    return sid === undefined ? undefined : this.forecastsIn.all(sid, r.from, r.to, horizon, horizon, r.limit);
  }

  /** Alerts, newest first; only open ones when `openOnly`. */
  alerts(openOnly: boolean, limit: number): Record<string, unknown>[] {
    return this.alertList.all(openOnly ? 1 : 0, limit);
  }
}
