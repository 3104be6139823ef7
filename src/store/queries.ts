import type { Db } from './openDatabase.ts';
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

/** Read-only queries behind the HTTP API, on the main connection (WAL: they never wait for the writer). */
export class StoreQueries {
  constructor(private readonly db: Db) {}

  /** Streams whose key matches `glob` (all when null), by key. */
  streams(glob: string | null, limit: number, offset: number): StreamRow[] {
    // GLOB's own `*`/`?` match the engine's patterns; `[` is escaped so keys may hold it.
    const rows = glob === null
      ? this.db.prepare('SELECT key, first_seen AS firstSeen, last_seen AS lastSeen FROM streams ORDER BY key LIMIT ? OFFSET ?').all(limit, offset)
      : this.db.prepare('SELECT key, first_seen AS firstSeen, last_seen AS lastSeen FROM streams WHERE key GLOB ? ORDER BY key LIMIT ? OFFSET ?').all(glob.replace(/\[/g, '[[]'), limit, offset);
    return rows as StreamRow[];
  }

  /** The stream's readings in [from, to], oldest first; undefined for an unknown stream. */
  readings(key: string, r: TimeRange): { ts: number; value: number }[] | undefined {
    const sid = this.streamId(key);
    if (sid === undefined) return undefined;
    return this.db.prepare('SELECT ts, value FROM readings WHERE stream_id = ? AND ts BETWEEN ? AND ? ORDER BY ts LIMIT ?').all(sid, r.from, r.to, r.limit) as { ts: number; value: number }[];
  }

  /** Forecasts made after the stream's readings in [from, to] (optionally one horizon), oldest first. */
  forecasts(key: string, r: TimeRange, horizon: number | null): Record<string, number | null>[] | undefined {
    const sid = this.streamId(key);
    if (sid === undefined) return undefined;
    return this.db
      .prepare(
        `SELECT f.made_at AS madeAt, f.horizon AS horizon, f.target_ts AS targetTs, f.mean AS mean, f.lower AS lower, f.upper AS upper, f.model_version AS modelVersion
         FROM readings r JOIN forecasts f ON f.id BETWEEN r.id * ${FORECAST_ID_STRIDE} AND r.id * ${FORECAST_ID_STRIDE} + ${FORECAST_ID_STRIDE - 1}
         WHERE r.stream_id = ? AND r.ts BETWEEN ? AND ? AND (? IS NULL OR f.horizon = ?) ORDER BY r.ts, f.horizon LIMIT ?`,
      )
      .all(sid, r.from, r.to, horizon, horizon, r.limit) as Record<string, number | null>[];
  }

  /** Alerts, newest first; only open ones when `openOnly`. */
  alerts(openOnly: boolean, limit: number): Record<string, unknown>[] {
    return this.db
      .prepare(
        `SELECT a.id, s.key AS stream, a.opened_at AS openedAt, a.resolved_at AS resolvedAt, a.severity, a.kind, a.score, a.details
         FROM alerts a JOIN streams s ON s.id = a.stream_id WHERE (? = 0 OR a.resolved_at IS NULL) ORDER BY a.opened_at DESC LIMIT ?`,
      )
      .all(openOnly ? 1 : 0, limit) as Record<string, unknown>[];
  }

  private streamId(key: string): number | undefined {
    return (this.db.prepare('SELECT id FROM streams WHERE key = ?').get(key) as { id: number } | undefined)?.id;
  }
}
