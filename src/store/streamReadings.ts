import type { Db } from './openDatabase.ts';

/**
 * A stream's stored readings, by time: the rows of `reading_index` up to its
 * mark, and the readings past the mark, not yet indexed (seconds' worth;
 * migrations/0004_reading_index.sql), as one compound SELECT. Each statement
 * reads one snapshot of the file, so a batch indexed meanwhile is seen once.
 *
 * `readingsOfStream(query)` gives the SQL: `columns` over the alias `r`
 * (r.stream_id, r.ts, r.id, r.value), joined to what `join` adds, filtered by
 * `where`, which may use named parameters. Ordered by ts then id (each branch
 * is read in that order and the two are merged), so a LIMIT stops early.
 */

/** The mark as an SQL expression: every reading with an id up to it has its `reading_index` row. */
export const INDEX_MARK = '(SELECT indexed_to FROM reading_index_mark)';

export interface StreamReadingsQuery {
  /** Output columns over `r` (and whatever `join` adds), each with an alias. */
  readonly columns: string;
  /** Conditions over `r`, e.g. `r.stream_id = @sid AND r.ts BETWEEN @from AND @to`. */
  readonly where: string;
  /** e.g. `JOIN forecasts f ON f.reading_id = r.id`. */
  readonly join?: string;
  /** Newest first instead of oldest. */
  readonly descending?: boolean;
  /** Rows at most: a named parameter or a number. */
  readonly limit?: string;
}

/** The SQL of `q` over both parts; the output is ordered by the aliases `ts` and `id`, which `columns` must include. */
export function readingsOfStream(q: StreamReadingsQuery): string {
  const join = q.join ?? '';
  const dir = q.descending ? 'DESC' : 'ASC';
  return `SELECT ${q.columns} FROM reading_index r ${join} WHERE ${q.where} AND r.id <= ${INDEX_MARK}
    UNION ALL
    SELECT ${q.columns} FROM readings r ${join} WHERE r.id > ${INDEX_MARK} AND ${q.where}
    ORDER BY ts ${dir}, id ${dir}${q.limit === undefined ? '' : ` LIMIT ${q.limit}`}`;
}

/** The mark now: every reading up to this id is in `reading_index`. */
export function indexMark(db: Db): number {
  return (db.prepare(`SELECT ${INDEX_MARK} AS mark`).get() as { mark: number }).mark;
}

/**
 * For reading many streams at once: the unindexed tail past the mark, by
 * stream, in one pass; with the index's rows up to the same mark, the two
 * make each stream's latest readings without a pass over the tail per stream.
 */
export class StreamHistories {
  private readonly tailRows;
  private readonly indexed;

  constructor(private readonly db: Db) {
    this.tailRows = db.prepare<{ mark: number; sids: string | null }, { sid: number; ts: number; value: number }>(
      'SELECT stream_id AS sid, ts, value FROM readings WHERE id > @mark AND (@sids IS NULL OR stream_id IN (SELECT value FROM json_each(@sids))) ORDER BY id',
    );
    this.indexed = db.prepare<{ sid: number; mark: number; k: number }, { ts: number; value: number }>(
      'SELECT ts, value FROM reading_index WHERE stream_id = @sid AND id <= @mark ORDER BY ts DESC, id DESC LIMIT @k',
    );
  }

  /** Each stream's (by id; only `sids` when given) latest `k` stored readings, oldest first, as of this call. */
  latest(k: number, sids?: readonly number[]): (sid: number) => { ts: number; value: number }[] {
    const mark = indexMark(this.db);
    const tail = new Map<number, { ts: number; value: number }[]>();
    for (const r of this.tailRows.iterate({ mark, sids: sids === undefined ? null : JSON.stringify(sids) })) {
      let list = tail.get(r.sid);
      if (list === undefined) tail.set(r.sid, (list = []));
      list.push({ ts: r.ts, value: r.value });
    }
    return (sid) => {
      const rows = [...this.indexed.all({ sid, mark, k }).reverse(), ...(tail.get(sid) ?? [])];
      return rows.slice(Math.max(0, rows.length - k));
    };
  }
}
