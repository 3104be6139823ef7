import { seasonSlot } from '../anomaly/readingAnomaly.ts';
import { sharedF32, sharedF64 } from '../util/shared.ts';
import type { RowInputs, TableView } from './roundBuffers.ts';
import { SEASON_SLOTS, STAT_COUNT } from './streamStats.ts';

/**
 * Values kept per row: its stats, and the one slot of its weekly profile a step
 * writes, its reading's (readingAnomaly.ts); the other 167 are not copied.
 */
const KEPT = STAT_COUNT + 1;

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
    b.stats.set(table.stats.subarray(slot * STAT_COUNT, (slot + 1) * STAT_COUNT), j * KEPT);
    b.stats[j * KEPT + STAT_COUNT] = table.profile[slot * SEASON_SLOTS + seasonSlot(rows.ts[p])];
  }
}

/** Puts back what `saveRows` took for positions [from, to). */
export function restoreRows(b: RowBackup, table: TableView, rows: RowInputs, from: number, to: number, h: number): void {
  for (let p = from; p < to; p++) {
    const j = p - from;
    const slot = rows.slot[p];
    table.hidden.set(b.hidden.subarray(j * h, (j + 1) * h), slot * h);
    table.stats.set(b.stats.subarray(j * KEPT, j * KEPT + STAT_COUNT), slot * STAT_COUNT);
    table.profile[slot * SEASON_SLOTS + seasonSlot(rows.ts[p])] = b.stats[j * KEPT + STAT_COUNT];
  }
}
