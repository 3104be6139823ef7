import { seasonSlot } from '../anomaly/readingAnomaly.ts';
import { sharedF32, sharedF64 } from '../util/shared.ts';
import type { RowInputs, TableView } from './roundBuffers.ts';
import { Stat, STAT_COUNT } from './streamStats.ts';

/**
 * Values kept per row: a step writes the stats before the weekly profile and one
 * profile slot, its reading's (readingAnomaly.ts), so the other 167 are not copied.
 */
const KEPT = Stat.SEASON_BASE + 1;

/** A copy of the table rows of one part of a round, taken before the part writes them, in shared memory. */
export interface RowBackup {
  readonly hidden: Float32Array;
  readonly stats: Float64Array;
}

export function allocRowBackup(rows: number, hidden: number): RowBackup {
  return { hidden: sharedF32(rows * hidden), stats: sharedF64(rows * KEPT) };
}

/** Copies the table rows of positions [from, to) into `b` (position p at p − from). */
export function saveRows(b: RowBackup, table: TableView, rows: RowInputs, from: number, to: number, h: number): void {
  for (let p = from; p < to; p++) {
    const j = p - from;
    const slot = rows.slot[p];
    b.hidden.set(table.hidden.subarray(slot * h, (slot + 1) * h), j * h);
    const so = slot * STAT_COUNT;
    b.stats.set(table.stats.subarray(so, so + Stat.SEASON_BASE), j * KEPT);
    b.stats[j * KEPT + Stat.SEASON_BASE] = table.stats[so + Stat.SEASON_BASE + seasonSlot(rows.ts[p])];
  }
}

/** Puts back what `saveRows` took for positions [from, to). */
export function restoreRows(b: RowBackup, table: TableView, rows: RowInputs, from: number, to: number, h: number): void {
  for (let p = from; p < to; p++) {
    const j = p - from;
    const slot = rows.slot[p];
    table.hidden.set(b.hidden.subarray(j * h, (j + 1) * h), slot * h);
    const so = slot * STAT_COUNT;
    table.stats.set(b.stats.subarray(j * KEPT, j * KEPT + Stat.SEASON_BASE), so);
    table.stats[so + Stat.SEASON_BASE + seasonSlot(rows.ts[p])] = b.stats[j * KEPT + Stat.SEASON_BASE];
  }
}
