import type { Db } from './openDatabase.ts';
import { indexMark } from './streamReadings.ts';

/** What one step of a pass did. */
export interface RetentionStep {
  /** Readings deleted by this step. */
  readonly deleted: number;
  /** Whether the pass has more to do: call `step` again (with the same `before`). */
  readonly more: boolean;
}

/** Readings a step of the first phase reads (id and time, in id order: a few milliseconds). */
const SCAN_PER_STEP = 65_536;
/** Index rows a step of the second phase deletes at most (a stream with more takes several steps), and streams it visits. */
const INDEX_ROWS_PER_STEP = 8192;
const STREAMS_PER_STEP = 1024;

interface Pass {
  readonly before: number;
  /** The index mark when the pass began: only readings up to it are looked at. */
  readonly mark: number;
  /** Phase 1: readings scanned up to this id; then the first id the pass keeps (every earlier one has expired). */
  scanned: number;
  keepFrom: number;
  /** Phase 2: streams done up to this id. */
  stream: number;
  phase: 1 | 2 | 3;
}

/**
 * Deletes readings older than a cutoff, with their rows in `reading_index`, a
 * pass at a time in short steps (one transaction each), so that ticks commit
 * between them. A pass deletes the readings in id order up to the first one
 * still within retention (readings accepted much later than their time wait
 * until the ones before them have gone, and a pass never reads the kept ones),
 * in three phases, each in the order its rows lie on disk:
 *
 * 1. find that first kept reading, reading ids and times in id order;
 * 2. each stream's index rows of readings before it, one key range a stream
 *    (`stream_id = s AND ts < before`), at most INDEX_ROWS_PER_STEP rows a step;
 * 3. the readings before it, as id ranges of `batch`.
 *
 * Deleting index rows with their readings, `batch` by `batch` in id order, took
 * one row of each stream a batch: every row dirtied a page of its own, written
 * to the WAL at commit, ~7.5 µs a reading on 400,000 readings of 10,000 streams,
 * more than writing it; a service at 100,000 readings/s would have spent most of
 * a core on retention. In phases: 1.2–1.4 µs, steps of at most 15–17 ms.
 *
 * Only readings indexed when the pass began (ids up to the mark then) are looked
 * at, so a reading never loses its index row before it has one, and no index
 * row outlives its reading. Between phases 2 and 3 an expiring reading is in
 * `readings` but no longer in the stream queries (which read the index).
 */
export class ReadingRetention {
  private pass: Pass | null = null;
  private readonly firstKept;
  private readonly lastOf;
  private readonly nextStreams;
  private readonly unindex;
  private readonly nth;
  private readonly unindexBefore;
  private readonly remove;

  /** `indexRowsPerStep`: index rows a step deletes at most (INDEX_ROWS_PER_STEP; smaller in tests). */
  constructor(
    private readonly db: Db,
    private readonly indexRowsPerStep = INDEX_ROWS_PER_STEP,
  ) {
    this.firstKept = db.prepare<{ after: number; mark: number; before: number }, { kept: number | null; last: number | null }>(
      `SELECT min(CASE WHEN ts >= @before THEN id END) AS kept, max(id) AS last FROM (SELECT id, ts FROM readings WHERE id > @after AND id <= @mark ORDER BY id LIMIT ${SCAN_PER_STEP})`,
    );
    // The `n`-th oldest reading before `keepFrom` (every one of them has expired).
    this.lastOf = db.prepare<[number, number], { last: number | null }>('SELECT max(id) AS last FROM (SELECT id FROM readings WHERE id < ? ORDER BY id LIMIT ?)');
    this.nextStreams = db.prepare<[number, number], { id: number }>('SELECT id FROM streams WHERE id > ? ORDER BY id LIMIT ?');
    this.unindex = db.prepare<[number, number, number]>('DELETE FROM reading_index WHERE stream_id = ? AND ts < ? AND id < ?');
    // The row after the first `n` of a stream's expiring index rows: those before it go in one range.
    this.nth = db.prepare<[number, number, number, number], { ts: number; id: number }>(
      'SELECT ts, id FROM reading_index WHERE stream_id = ? AND ts < ? AND id < ? ORDER BY ts, id LIMIT 1 OFFSET ?',
    );
    this.unindexBefore = db.prepare<[number, number, number, number]>('DELETE FROM reading_index WHERE stream_id = ? AND (ts, id) < (?, ?) AND id < ?');
    this.remove = db.prepare<[number]>('DELETE FROM readings WHERE id <= ?');
  }

  /**
   * One step of the pass deleting readings older than `before` (epoch ms); a
   * different `before` starts a new pass. `batch`: readings a step of phase 3 deletes at most.
   */
  step(before: number, batch: number): RetentionStep {
    if (this.pass === null || this.pass.before !== before) {
      const mark = indexMark(this.db);
      this.pass = { before, mark, scanned: 0, keepFrom: mark + 1, stream: 0, phase: 1 };
    }
    const pass = this.pass;
    const run = this.db.transaction((): RetentionStep => {
      if (pass.phase === 1) {
        const { kept, last } = this.firstKept.get({ after: pass.scanned, mark: pass.mark, before }) as { kept: number | null; last: number | null };
        if (kept !== null) pass.keepFrom = kept;
        if (kept !== null || last === null) pass.phase = 2;
        else pass.scanned = last;
        // Nothing before the first kept reading: nothing to delete.
        if (pass.phase === 2 && !this.hasExpired(pass)) return this.end();
        return { deleted: 0, more: true };
      }
      if (pass.phase === 2) {
        const streams = this.nextStreams.all(pass.stream, STREAMS_PER_STEP);
        let budget = this.indexRowsPerStep;
        for (const s of streams) {
          const beyond = this.nth.get(s.id, before, pass.keepFrom, budget);
          if (beyond !== undefined) {
            // More than this step may delete: the first `budget`, and the next step starts with this stream again.
            this.unindexBefore.run(s.id, beyond.ts, beyond.id, pass.keepFrom);
            return { deleted: 0, more: true };
          }
          budget -= this.unindex.run(s.id, before, pass.keepFrom).changes;
          pass.stream = s.id;
          if (budget === 0) return { deleted: 0, more: true };
        }
        if (streams.length < STREAMS_PER_STEP) pass.phase = 3;
        return { deleted: 0, more: true };
      }
      const { last } = this.lastOf.get(pass.keepFrom, batch) as { last: number | null };
      if (last === null) return this.end();
      const deleted = this.remove.run(last).changes;
      return deleted === 0 ? this.end() : { deleted, more: true };
    });
    try {
      return run();
    } catch (err) {
      // Rolled back: the next step starts the pass over (what was deleted stays deleted).
      this.pass = null;
      throw err;
    }
  }

  private hasExpired(pass: Pass): boolean {
    return (this.lastOf.get(pass.keepFrom, 1) as { last: number | null }).last !== null;
  }

  private end(): RetentionStep {
    this.pass = null;
    return { deleted: 0, more: false };
  }
}
