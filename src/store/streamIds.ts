import type { Db } from './openDatabase.ts';

/** Stream key ↔ row id, cached; new keys are inserted (inside the caller's transaction). */
export class StreamIds {
  private readonly ids = new Map<string, number>();
  private readonly insert;
  private readonly select;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO streams (key, first_seen, last_seen) VALUES (?, ?, ?)');
    this.select = db.prepare<[string], { id: number }>('SELECT id FROM streams WHERE key = ?');
  }

  /** The id of `key`, creating the stream row if needed. */
  idOf(key: string, ts: number): number {
    const cached = this.ids.get(key);
    if (cached !== undefined) return cached;
    const row = this.select.get(key);
    const id = row !== undefined ? row.id : Number(this.insert.run(key, ts, ts).lastInsertRowid);
    this.ids.set(key, id);
    return id;
  }

  /** The id of an existing stream, or undefined. */
  find(key: string): number | undefined {
    const cached = this.ids.get(key);
    if (cached !== undefined) return cached;
    const row = this.select.get(key);
    if (row !== undefined) this.ids.set(key, row.id);
    return row?.id;
  }

  /** Forgets cached ids (after a rolled-back transaction may have inserted some). */
  clear(): void {
    this.ids.clear();
  }
}
