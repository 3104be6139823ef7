import type { Db } from './openDatabase.ts';

export type PrunedTable = 'readings' | 'forecasts' | 'alerts';

const RULES: Record<PrunedTable, { time: string }> = {
  readings: { time: 'ts' },
  forecasts: { time: 'made_at' },
  alerts: { time: 'opened_at' },
};

/**
 * Deletes, among the `batch` oldest rows of `table` (by id), those older than
 * `before` (epoch ms), in one short statement, and returns how many. Tables are
 * appended in about time order, so a pass calls this until it deletes none.
 */
export function pruneBatch(db: Db, table: PrunedTable, before: number, batch: number): number {
  const { time } = RULES[table];
  const extra = table === 'alerts' ? ' AND resolved_at IS NOT NULL' : '';
  // Look only at the `batch` oldest ids, so a pass never scans the table: rows accepted
  // much later than their time wait until the rows before them have gone.
  const sql = `DELETE FROM ${table} WHERE id IN (SELECT id FROM (SELECT id, ${time} AS t${extra ? ', resolved_at' : ''} FROM ${table} ORDER BY id LIMIT ?) WHERE t < ?${extra})`;
  return db.prepare(sql).run(batch, before).changes;
}
