import { sharedF32, sharedF64 } from '../util/shared.ts';
import type { RowInputs, TableView } from './roundBuffers.ts';
import { STAT_COUNT } from './streamStats.ts';

/** A copy of the table rows of one part of a round, taken before the part writes them, in shared memory. */
export interface RowBackup {
  readonly hidden: Float32Array;
  readonly stats: Float64Array;
}

export function allocRowBackup(rows: number, hidden: number): RowBackup {
  return { hidden: sharedF32(rows * hidden), stats: sharedF64(rows * STAT_COUNT) };
}

/** Copies the table rows of positions [from, to) into `b` (position p at p − from). */
export function saveRows(b: RowBackup, table: TableView, rows: RowInputs, from: number, to: number, h: number): void {
  for (let p = from; p < to; p++) {
    const j = p - from;
    const slot = rows.slot[p];
    b.hidden.set(table.hidden.subarray(slot * h, (slot + 1) * h), j * h);
    b.stats.set(table.stats.subarray(slot * STAT_COUNT, (slot + 1) * STAT_COUNT), j * STAT_COUNT);
  }
}

/** Puts back what `saveRows` took for positions [from, to). */
export function restoreRows(b: RowBackup, table: TableView, rows: RowInputs, from: number, to: number, h: number): void {
  for (let p = from; p < to; p++) {
    const j = p - from;
    const slot = rows.slot[p];
    table.hidden.set(b.hidden.subarray(j * h, (j + 1) * h), slot * h);
    table.stats.set(b.stats.subarray(j * STAT_COUNT, (j + 1) * STAT_COUNT), slot * STAT_COUNT);
  }
}
