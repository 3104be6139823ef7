import type { Db } from './openDatabase.ts';
import { INDEX_MARK } from './streamReadings.ts';

export type PrunedTable = 'readings' | 'forecasts' | 'alerts';

/** Each table's time column, and its INTEGER PRIMARY KEY (rows appended in about time order). */
const RULES: Record<PrunedTable, { time: string; id: string }> = {
  readings: { time: 'ts', id: 'id' },
  forecasts: { time: 'made_at', id: 'reading_id' },
  alerts: { time: 'opened_at', id: 'id' },
};

/**
 * Deletes, among the `batch` oldest rows of `table` (by id), those older than
 * `before` (epoch ms), in one short statement, and returns how many. Tables are
 * appended in about time order, so a pass calls this until it deletes none.
 */
export function pruneBatch(db: Db, table: PrunedTable, before: number, batch: number): number {
  if (table === 'readings') return pruneReadings(db, before, batch);
  const { time, id } = RULES[table];
  const extra = table === 'alerts' ? ' AND resolved_at IS NOT NULL' : '';
  // Look only at the `batch` oldest ids, so a pass never scans the table: rows accepted
  // much later than their time wait until the rows before them have gone.
  const sql = `DELETE FROM ${table} WHERE ${id} IN (SELECT k FROM (SELECT ${id} AS k, ${time} AS t${extra ? ', resolved_at' : ''} FROM ${table} ORDER BY ${id} LIMIT ?) WHERE t < ?${extra})`;
  return db.prepare(sql).run(batch, before).changes;
}

/**
 * Readings go with their rows in `reading_index`, in one transaction. Only
 * indexed readings (up to the mark) are looked at, so a reading never loses its
 * index row before it has one; the tail, seconds' worth, waits for the next pass.
 */
function pruneReadings(db: Db, before: number, batch: number): number {
  return db.transaction(() => {
    const gone = db
      .prepare(
        `DELETE FROM readings WHERE id IN (SELECT k FROM (SELECT id AS k, ts AS t FROM readings
           WHERE id <= ${INDEX_MARK} ORDER BY id LIMIT ?) WHERE t < ?)
         RETURNING stream_id AS sid, ts, id`,
      )
      .all(batch, before) as { sid: number; ts: number; id: number }[];
    const unindex = db.prepare('DELETE FROM reading_index WHERE stream_id = ? AND ts = ? AND id = ?');
    for (const r of gone) unindex.run(r.sid, r.ts, r.id);
    return gone.length;
  })();
}
