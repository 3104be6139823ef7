import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.ts';
import type { Store } from './store.ts';
import type { SnapshotTracker } from './snapshotTracker.ts';
import { INDEX_MARK } from './streamReadings.ts';

export interface RecoveryResult {
  readonly streams: number;
  readonly replayed: number;
  readonly ms: number;
}

/**
 * Brings the engine to where it stopped: loads every stream's snapshot, then
 * replays, in acceptance order, the stored readings each stream received after
 * its snapshot, so each state equals that of a run that never stopped.
 * Snapshots made under another model version are dropped and their streams
 * replayed from their first stored reading. Logs progress on long replays.
 */
export function recover(engine: Engine, store: Store, tracker: SnapshotTracker, log: Logger, batch = 4096): RecoveryResult {
  const started = performance.now();
  let streams = 0;
  const ignored: string[] = [];
  for (const s of store.snapshots.loadAll()) {
    if (s.modelVersion !== engine.modelVersion) {
      ignored.push(s.state.key);
      continue;
    }
    engine.table.importState(s.state);
    tracker.recovered(s.state.key, s.lastReadingId, false);
    streams++;
  }
  if (ignored.length > 0) log.warn({ streams: ignored.length, modelVersion: engine.modelVersion }, 'snapshots of another model version ignored; those streams are replayed in full');
  const params = { version: engine.modelVersion, after: replayFloor(store, engine.modelVersion) };
  const total = (store.db.prepare(
    `SELECT count(*) AS n FROM readings r LEFT JOIN stream_states st ON st.stream_id = r.stream_id AND st.model_version = @version
     WHERE r.id > @after AND r.id > coalesce(st.last_reading_id, 0)`,
  ).get(params) as { n: number }).n;
  const rows = store.db
    .prepare(
      `SELECT r.id AS id, s.key AS stream, r.ts AS ts, r.value AS value FROM readings r
       JOIN streams s ON s.id = r.stream_id
       LEFT JOIN stream_states st ON st.stream_id = r.stream_id AND st.model_version = @version
       WHERE r.id > @after AND r.id > coalesce(st.last_reading_id, 0) ORDER BY r.id`,
    )
    .iterate(params) as IterableIterator<{ id: number; stream: string; ts: number; value: number }>;
  let chunk: { stream: string; ts: number; value: number }[] = [];
  let ids: number[] = [];
  let replayed = 0;
  let lastLog = performance.now();
  const flush = (): void => {
    const out = engine.step(chunk);
    if (out.rejected.length > 0) {
      log.error({ rejected: out.rejected.slice(0, 5) }, 'stored readings were refused on replay');
    }
    chunk.forEach((r, i) => tracker.recovered(r.stream, ids[i], true));
    replayed += chunk.length;
    chunk = [];
    ids = [];
    if (performance.now() - lastLog > 2000) {
      lastLog = performance.now();
      log.info({ replayed, total, percent: Math.round((100 * replayed) / Math.max(1, total)) }, 'replaying readings');
    }
  };
  for (const r of rows) {
    chunk.push({ stream: r.stream, ts: r.ts, value: r.value });
    ids.push(r.id);
    if (chunk.length >= batch) flush();
  }
  if (chunk.length > 0) flush();
  const result = { streams: engine.table.size, replayed, ms: Math.round(performance.now() - started) };
  log.info({ ...result, fromSnapshots: streams }, 'recovered');
  return result;
}

/**
 * A reading id below every reading that needs replay, so the replay reads
 * `readings` from there on (a range of its primary key) instead of the whole
 * table: the lowest of each snapshot's last reading, each unsnapshotted
 * stream's first reading (from the per-stream index: a stream's first by time
 * is its first by id), and the readings not indexed yet (all of them, which
 * are few), less one.
 */
function replayFloor(store: Store, version: number): number {
  const row = store.db.prepare(
    `SELECT min(
       coalesce((SELECT min(last_reading_id) FROM stream_states WHERE model_version = @version), 9e18),
       coalesce((SELECT min((SELECT ri.id FROM reading_index ri WHERE ri.stream_id = s.id ORDER BY ri.ts LIMIT 1)) FROM streams s
                 WHERE NOT EXISTS (SELECT 1 FROM stream_states st WHERE st.stream_id = s.id AND st.model_version = @version)), 9e18),
       coalesce((SELECT min(id) FROM readings WHERE id > ${INDEX_MARK}), 9e18)
     ) AS low`,
  ).get({ version }) as { low: number };
  return Math.max(0, row.low - 1);
}
