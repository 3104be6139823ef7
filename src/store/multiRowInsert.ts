import type { Statement } from 'better-sqlite3';
import type { Db } from './openDatabase.ts';

/**
 * One statement over many rows of VALUES per execution (an INSERT, an upsert, an
 * UPDATE … FROM (VALUES …): one statement run carries many rows, which is most
 * of the cost of a row): a statement prepared once per row count, and a
 * parameter array per row count, made once and refilled by the caller.
 */
export class MultiRowInsert<P> {
  private readonly statements = new Map<number, Statement<P[]>>();
  private readonly paramArrays = new Map<number, P[]>();

  /**
   * `head`: the statement up to VALUES, e.g. `INSERT INTO readings (stream_id, ts, value)`; `columns` values a row;
   * `tail`: what follows the rows (an upsert's `ON CONFLICT …`, or the rest of an `UPDATE … FROM (VALUES …)`).
   */
  constructor(
    private readonly db: Db,
    private readonly head: string,
    private readonly columns: number,
    private readonly tail = '',
  ) {}

  /** The parameter array of `rows` rows (row r's values at r·columns …), to fill before `run`. */
  params(rows: number): P[] {
    let params = this.paramArrays.get(rows);
    if (params === undefined) {
      params = new Array<P>(this.columns * rows);
      this.paramArrays.set(rows, params);
    }
    return params;
  }

  /** Runs the `rows`-row statement with `params(rows)` as filled; returns the last inserted row id (of an INSERT). */
  run(rows: number): number {
    let st = this.statements.get(rows);
    if (st === undefined) {
      const row = `(${new Array(this.columns).fill('?').join(', ')})`;
      st = this.db.prepare<P[]>(`${this.head} VALUES ${new Array(rows).fill(row).join(', ')}${this.tail}`);
      this.statements.set(rows, st);
    }
    // Spread, not the array: better-sqlite3 binds an array through a property lookup per
    // element and arguments directly: 2.21 against 2.48 µs a reading on the writer (TickWriter inline).
    return Number(st.run(...this.params(rows)).lastInsertRowid);
  }
}
