import type { StreamState } from '../engine/stateTable.ts';
import { decodeStreamState, encodeStreamState } from '../engine/streamStateCodec.ts';
import { Stat } from '../engine/streamStats.ts';
import type { Db } from './openDatabase.ts';
import { MultiRowInsert } from './multiRowInsert.ts';
import { toStoreError } from './storeErrors.ts';
import type { StreamIds } from './streamIds.ts';

/** States a statement. */
const ROWS = 64;

export interface StoredState {
  readonly state: StreamState;
  readonly lastReadingId: number;
  readonly modelVersion: number;
}

/** A stream's state to save, with the id of the last stored reading it includes. */
export interface SnapshotItem {
  readonly state: StreamState;
  readonly lastReadingId: number;
}

/** Per-stream engine states, each recording the last reading it includes. */
export class StateSnapshots {
  private readonly upsert: MultiRowInsert<number | Uint8Array>;
  private readonly normaliser: MultiRowInsert<number | null>;
  private readonly selectOne;
  private readonly saveAll: (items: readonly SnapshotItem[], modelVersion: number) => void;

  constructor(private readonly db: Db, private readonly file: string, private readonly streams: StreamIds) {
    // Many rows a statement (as the writer's inserts): one upsert of states, one update of the streams' normalisers.
    this.upsert = new MultiRowInsert<number | Uint8Array>(
      db,
      'INSERT INTO stream_states (stream_id, model_version, state, last_reading_id, saved_at)',
      5,
      ` ON CONFLICT(stream_id) DO UPDATE SET model_version = excluded.model_version, state = excluded.state,
         last_reading_id = excluded.last_reading_id, saved_at = excluded.saved_at`,
    );
    // last_seen is kept here, not per tick (see TickWriter).
    this.normaliser = new MultiRowInsert<number | null>(
      db,
      'UPDATE streams SET norm_mean = v.column2, norm_var = v.column3, norm_count = v.column4, last_seen = max(last_seen, coalesce(v.column5, last_seen)) FROM (',
      5,
      ') AS v WHERE streams.id = v.column1',
    );
    // Asked for every stream the engine does not hold (evicted, or new): prepared once.
    this.selectOne = db.prepare<[string], { state: Buffer; rid: number; mv: number }>(
      'SELECT st.state AS state, st.last_reading_id AS rid, st.model_version AS mv FROM stream_states st JOIN streams s ON s.id = st.stream_id WHERE s.key = ?',
    );
    this.saveAll = db.transaction((items: readonly SnapshotItem[], modelVersion: number) => {
      const now = Date.now();
      const rows: { sid: number; state: StreamState; lastReadingId: number }[] = [];
      for (const { state, lastReadingId } of items) {
        const sid = this.streams.find(state.key);
        if (sid !== undefined) rows.push({ sid, state, lastReadingId });
      }
      for (let start = 0; start < rows.length; start += ROWS) {
        const n = Math.min(ROWS, rows.length - start);
        const states = this.upsert.params(n);
        const norms = this.normaliser.params(n);
        for (let k = 0; k < n; k++) {
          const { sid, state, lastReadingId } = rows[start + k];
          const lastTs = state.stats[Stat.LAST_TS];
          const p = 5 * k;
          states[p] = sid;
          states[p + 1] = modelVersion;
          states[p + 2] = encodeStreamState(state);
          states[p + 3] = lastReadingId;
          states[p + 4] = now;
          norms[p] = sid;
          norms[p + 1] = state.stats[Stat.MEAN];
          norms[p + 2] = state.stats[Stat.VAR];
          norms[p + 3] = state.stats[Stat.COUNT];
          norms[p + 4] = Number.isFinite(lastTs) ? lastTs : null;
        }
        this.upsert.run(n);
        this.normaliser.run(n);
      }
    });
  }

  /** Saves the states in one transaction. @throws StoreError naming the file. */
  save(items: readonly SnapshotItem[], modelVersion: number): void {
    try {
      this.saveAll(items, modelVersion);
    } catch (err) {
      throw toStoreError(err, this.file, 'saving stream states');
    }
  }

  /** The stored state of one stream, or undefined. @throws StreamStateError for a blob of an unknown layout. */
  load(key: string): StoredState | undefined {
    const row = this.selectOne.get(key);
    return row === undefined ? undefined : { state: decodeStreamState(key, row.state), lastReadingId: row.rid, modelVersion: row.mv };
  }

  /** Every stored state. @throws StreamStateError for a blob of an unknown layout. */
  loadAll(): StoredState[] {
    const rows = this.db
      .prepare('SELECT s.key AS key, st.state AS state, st.last_reading_id AS rid, st.model_version AS mv FROM stream_states st JOIN streams s ON s.id = st.stream_id')
      .all() as { key: string; state: Buffer; rid: number; mv: number }[];
    return rows.map((r) => ({ state: decodeStreamState(r.key, r.state), lastReadingId: r.rid, modelVersion: r.mv }));
  }
}
