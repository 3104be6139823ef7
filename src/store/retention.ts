import type { Db } from './openDatabase.ts';

export type PrunedTable = 'readings' | 'forecasts' | 'alerts';

/** Each table's time column, and its INTEGER PRIMARY KEY (rows appended in about time order). Readings: readingRetention.ts. */
const RULES: Record<Exclude<PrunedTable, 'readings'>, { time: string; id: string }> = {
  forecasts: { time: 'made_at', id: 'reading_id' },
  alerts: { time: 'opened_at', id: 'id' },
};

/**
 * Deletes, among the `batch` oldest rows of `table` (by id), those older than
 * `before` (epoch ms), in one short statement, and returns how many. Tables are
 * appended in about time order, so a pass calls this until it deletes none.
 */
export function pruneBatch(db: Db, table: Exclude<PrunedTable, 'readings'>, before: number, batch: number): number {
  const { time, id } = RULES[table];
  const extra = table === 'alerts' ? ' AND resolved_at IS NOT NULL' : '';
  // Look only at the `batch` oldest ids, so a pass never scans the table: rows accepted
  // much later than their time wait until the rows before them have gone.
  const sql = `DELETE FROM ${table} WHERE ${id} IN (SELECT k FROM (SELECT ${id} AS k, ${time} AS t${extra ? ', resolved_at' : ''} FROM ${table} ORDER BY ${id} LIMIT ?) WHERE t < ?${extra})`;
  return db.prepare(sql).run(batch, before).changes;
}
