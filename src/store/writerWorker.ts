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
import { pruneBatch } from './retention.ts';
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
// Webhook deliveries run here, beside the outbox they drain; the backlog of an earlier run goes first.
const delivery = webhook === null ? null : new WebhookDelivery(store.alerts, webhook, createLogger('warn', 2).child({ component: 'webhook' }));
delivery?.kick();
const tracker = new SnapshotTracker(store.snapshots);
const lastIdOf = store.db.prepare<[string], { id: number | null }>('SELECT max(r.id) AS id FROM readings r JOIN streams s ON s.id = r.stream_id WHERE s.key = ?');

const reply = (r: WriterReply): void => port.postMessage(r);
const failure = (id: number, err: unknown): WriterReply => {
  if (err instanceof StoreError) return { id, ok: false, code: err.code, file: err.file, message: err.message };
  const code = err instanceof ForecasterError ? err.code : 'FC_ERR_STORE_WRITE';
  return { id, ok: false, code, file, message: err instanceof Error ? err.message : String(err) };
};

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
        tracker.afterTick(written);
        for (const t of ticks) reply({ id: t.id, ok: true, count: t.tick.keys.length });
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
        for (const s of states) {
          if (tracker.lastIdOf(s.key) === undefined) {
            const id = lastIdOf.get(s.key)?.id;
            if (id !== null && id !== undefined) tracker.recovered(s.key, id, false);
          }
        }
        reply({ id: req.id, ok: true, count: tracker.saveStates(states, req.modelVersion) });
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
        reply({ id: req.id, ok: true, count: pruneBatch(store.db, req.table, req.before, req.batch) });
      } catch (err) {
        reply(failure(req.id, toStoreError(err, file, `pruning ${req.table}`)));
      }
    } else {
      delivery?.stop();
      store.close();
      reply({ id: req.id, ok: true, count: 0 });
      return false;
    }
  }
  return true;
}

port.on('message', (m: WriterRequest) => {
  if (!handle(m)) port.close();
});
port.postMessage('ready');
