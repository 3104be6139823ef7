/**
 * The store's writer thread: its own connection to the SQLite file, taking
 * ticks and snapshots in the order they were sent. Ticks that queue up while a
 * transaction runs are committed together (group commit); each is answered once
 * committed.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { ForecasterError, StoreError } from '../errors.ts';
import type { StreamState } from '../engine/stateTable.ts';
import { decodeStreamState } from '../engine/streamStateCodec.ts';
import type { WebhookConfig } from '../anomaly/alertConfig.ts';
import { WebhookDelivery } from '../anomaly/webhookDelivery.ts';
import { createLogger } from '../log.ts';
import { ReadingRetention } from './readingRetention.ts';
import { pruneBatch } from './retention.ts';
import type { SnapshotItem } from './stateSnapshots.ts';
import { SnapshotTracker } from './snapshotTracker.ts';
import { toStoreError } from './storeErrors.ts';
import { Store } from './store.ts';
import type { WriterReply, WriterRequest } from './writerProtocol.ts';

const { file, webhook } = workerData as { file: string; webhook: WebhookConfig | null };
if (parentPort === null) throw new Error('writerWorker runs as a worker thread');
const port: MessagePort = parentPort;
const store = Store.open(file);
// The checkpointer thread (checkpointerWorker.ts) keeps the WAL short without stalling commits;
// this connection checkpoints only as a backstop, should the WAL pass ~400 MB (100,000 pages).
store.db.pragma('wal_autocheckpoint = 100000');
// No foreign-key checks on this connection: every stream id it writes (readings, states,
// alerts) is one its StreamIds looked up or inserted itself, in the same transaction, so the
// parent lookup SQLite makes per row finds what is known to be there: ~0.3 µs of ~2.3 per
// reading's rows. Other connections keep the checks; the writer's test runs foreign_key_check.
store.db.pragma('foreign_keys = OFF');
const baseLog = createLogger('warn', 2);
const log = baseLog.child({ component: 'store-writer' });
// Webhook deliveries run here, beside the outbox they drain; the backlog of an earlier run goes first.
const delivery = webhook === null ? null : new WebhookDelivery(store.alerts, webhook, baseLog.child({ component: 'webhook' }));
delivery?.kick();
// The main thread sends the states to save: here only each stream's last reading id is needed,
// which the writer keeps by code as it commits.
const tracker = new SnapshotTracker(store.snapshots, (key) => store.writer.lastIdOf(key));
// A stream's latest reading: in the index by time (readings are refused out of order), or waiting to be indexed.
const lastIndexed = store.db.prepare<[number], { id: number }>('SELECT id FROM reading_index WHERE stream_id = ? ORDER BY ts DESC, id DESC LIMIT 1');

// Readings are pruned a pass at a time, in steps between ticks (readingRetention.ts).
const retention = new ReadingRetention(store.db);
const reply = (r: WriterReply): void => port.postMessage(r);
const failure = (id: number, err: unknown): WriterReply => {
  if (err instanceof StoreError) return { id, ok: false, code: err.code, file: err.file, message: err.message };
  const code = err instanceof ForecasterError ? err.code : 'FC_ERR_STORE_WRITE';
  return { id, ok: false, code, file, message: err instanceof Error ? err.message : String(err) };
};

/** Readings committed since indexing last had a turn. */
let committed = 0;

function handle(first: WriterRequest): boolean {
  // Drain what else is waiting: consecutive ticks go into one transaction.
  const batch: WriterRequest[] = [first];
  for (;;) {
    const next = receiveMessageOnPort(port);
    if (next === undefined) break;
    batch.push(next.message as WriterRequest);
  }
  let i = 0;
  while (i < batch.length) {
    const req = batch[i];
    if (req.type === 'tick') {
      const ticks: Extract<WriterRequest, { type: 'tick' }>[] = [];
      while (i < batch.length && batch[i].type === 'tick') {
        ticks.push(batch[i] as Extract<WriterRequest, { type: 'tick' }>);
        i++;
      }
      try {
        const written = store.writer.writeMany(ticks.map((t) => t.tick));
        committed += written.readings;
        for (const t of ticks) reply({ id: t.id, ok: true, count: t.tick.codes.length });
      } catch (err) {
        for (const t of ticks) reply(failure(t.id, err));
      }
      continue;
    }
    i++;
    if (req.type === 'snapshot') {
      try {
        const states: StreamState[] = [];
        let off = 0;
        req.keys.forEach((key, j) => {
          states.push(decodeStreamState(key, req.states.subarray(off, off + req.sizes[j])));
          off += req.sizes[j];
        });
        let waiting: Map<number, number> | null = null;
        for (const s of states) {
          if (tracker.lastIdOf(s.key) !== undefined) continue;
          const sid = store.writer.streams.find(s.key);
          if (sid === undefined) continue;
          waiting ??= store.writer.index.lastIds();
          const id = waiting.get(sid) ?? lastIndexed.get(sid)?.id;
          if (id !== undefined) tracker.recovered(s.key, id, false);
        }
        // Each state's last reading id is taken now, in order with the ticks; the rows are written
        // a chunk at a time when the event loop is free (saveSnapshotsSoon), ticks committing between.
        const items = tracker.itemsOf(states);
        if (items.length === 0) reply({ id: req.id, ok: true, count: 0 });
        else snapshotJobs.push({ id: req.id, items, modelVersion: req.modelVersion, done: 0 });
      } catch (err) {
        reply(failure(req.id, err));
      }
    } else if (req.type === 'alerts') {
      try {
        store.alerts.write(req.events, req.payloads, Date.now());
        reply({ id: req.id, ok: true, count: req.events.length });
        delivery?.kick();
      } catch (err) {
        reply(failure(req.id, toStoreError(err, file, 'writing alerts')));
      }
    } else if (req.type === 'prune') {
      try {
        if (req.table === 'readings') {
          const step = retention.step(req.before, req.batch);
          reply({ id: req.id, ok: true, count: step.deleted, more: step.more });
        } else {
          const count = pruneBatch(store.db, req.table, req.before, req.batch);
          reply({ id: req.id, ok: true, count, more: count > 0 });
        }
      } catch (err) {
        reply(failure(req.id, toStoreError(err, file, `pruning ${req.table}`)));
      }
    } else {
      // Snapshots taken in before the close are written first.
      while (snapshotJobs.length > 0) saveSnapshotChunk();
      delivery?.stop();
      clearInterval(indexTimer);
      try {
        store.writer.index.flush();
      } catch (err) {
        log.warn({ err }, 'readings left to index at the next start');
      }
      store.close();
      reply({ id: req.id, ok: true, count: 0 });
      return false;
    }
  }
  return true;
}

/**
 * Readings are indexed by stream a chunk at a time when the event loop is
 * free, so ticks that arrive meanwhile commit between chunks. While more than
 * two batches wait (ticks come in faster than one chunk between them indexes),
 * each turn indexes as many readings as the ticks before it committed, and a
 * chunk more, so what waits stays bounded and no turn stalls commits for long.
 * A failed chunk (disk full) is tried again later; until then queries read
 * those readings from the unindexed tail, so nothing is missing from them.
 */
let indexing = false;
let indexFailures = 0;
let closed = false;
/** Readings committed while indexing was behind, to index before the next message. */
let owed = 0;
function indexSoon(readings = 0): void {
  const index = store.writer.index;
  owed = index.behind ? owed + readings : 0;
  if (indexing || closed || !index.due()) return;
  indexing = true;
  setImmediate(() => {
    indexing = false;
    if (closed) return;
    try {
      for (let n = index.step(); n > 0 && (owed -= n) > 0 && index.behind; n = index.step());
      owed = Math.max(0, owed);
      indexFailures = 0;
    } catch (err) {
      if (indexFailures++ === 0) log.warn({ err }, 'indexing readings by stream failed; retrying');
      return;
    }
    indexSoon();
  });
}
const indexTimer = setInterval(indexSoon, 250).unref();

/**
 * Snapshots are written a chunk of states a transaction, one chunk a turn of the
 * event loop, so that ticks that arrive meanwhile commit between chunks: in one
 * transaction, 10,000 states took the writer 110–165 ms, and every tick behind
 * them waited as long (a spike in feed latency at each snapshot). Jobs are
 * written in the order they were taken in, and answered once their last chunk
 * is; a chunk that fails answers its job with the error and drops the rest of
 * it (a failed snapshot loses nothing: states are rebuilt from readings).
 */
const SNAPSHOT_CHUNK = 500;
const snapshotJobs: { readonly id: number; readonly items: SnapshotItem[]; readonly modelVersion: number; done: number }[] = [];
let savingSoon = false;
function saveSnapshotsSoon(): void {
  if (savingSoon || closed || snapshotJobs.length === 0) return;
  savingSoon = true;
  setImmediate(() => {
    savingSoon = false;
    if (closed) return;
    saveSnapshotChunk();
    saveSnapshotsSoon();
  });
}

function saveSnapshotChunk(): void {
  const job = snapshotJobs[0];
  const end = Math.min(job.items.length, job.done + SNAPSHOT_CHUNK);
  try {
    store.snapshots.save(job.items.slice(job.done, end), job.modelVersion);
  } catch (err) {
    snapshotJobs.shift();
    reply(failure(job.id, err));
    return;
  }
  job.done = end;
  if (job.done < job.items.length) return;
  snapshotJobs.shift();
  reply({ id: job.id, ok: true, count: job.items.length });
}

port.on('message', (m: WriterRequest) => {
  if (!handle(m)) {
    closed = true;
    port.close();
    return;
  }
  indexSoon(committed);
  committed = 0;
  saveSnapshotsSoon();
});
port.postMessage('ready');
