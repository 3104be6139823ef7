import type { StreamState } from '../engine/stateTable.ts';
import { decodeStreamState, encodeStreamState } from '../engine/streamStateCodec.ts';
import { Stat } from '../engine/streamStats.ts';
import type { Db } from './openDatabase.ts';
import { toStoreError } from './storeErrors.ts';
import type { StreamIds } from './streamIds.ts';

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
  private readonly upsert;
  private readonly normaliser;
  private readonly selectOne;
  private readonly saveAll: (items: readonly SnapshotItem[], modelVersion: number) => void;

  constructor(private readonly db: Db, private readonly file: string, private readonly streams: StreamIds) {
    this.upsert = db.prepare(
      `INSERT INTO stream_states (stream_id, model_version, state, last_reading_id, saved_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(stream_id) DO UPDATE SET model_version = excluded.model_version, state = excluded.state,
         last_reading_id = excluded.last_reading_id, saved_at = excluded.saved_at`,
    );
    // last_seen is kept here, not per tick (see TickWriter).
    this.normaliser = db.prepare('UPDATE streams SET norm_mean = ?, norm_var = ?, norm_count = ?, last_seen = max(last_seen, coalesce(?, last_seen)) WHERE id = ?');
    // Asked for every stream the engine does not hold (evicted, or new): prepared once.
    this.selectOne = db.prepare<[string], { state: Buffer; rid: number; mv: number }>(
      'SELECT st.state AS state, st.last_reading_id AS rid, st.model_version AS mv FROM stream_states st JOIN streams s ON s.id = st.stream_id WHERE s.key = ?',
    );
    this.saveAll = db.transaction((items: readonly SnapshotItem[], modelVersion: number) => {
      const now = Date.now();
      for (const { state, lastReadingId } of items) {
        const sid = this.streams.find(state.key);
        if (sid === undefined) continue;
        this.upsert.run(sid, modelVersion, encodeStreamState(state), lastReadingId, now);
        const lastTs = state.stats[Stat.LAST_TS];
        this.normaliser.run(state.stats[Stat.MEAN], state.stats[Stat.VAR], state.stats[Stat.COUNT], Number.isFinite(lastTs) ? lastTs : null, sid);
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
