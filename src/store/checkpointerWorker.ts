/**
 * The store's checkpointer thread: its own connection to the SQLite file, copying
 * committed WAL pages back into the file (PASSIVE checkpoints: it never waits for
 * the writer, nor the writer for it). SQLite's own checkpoints run inside the
 * committing transaction, so the writer thread stalled on each one: copying every
 * page dirtied since the last one, then fsync, while ticks queued behind it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './openDatabase.ts';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
if (parentPort === null) throw new Error('checkpointerWorker runs as a worker thread');
const port = parentPort;
const db = openDatabase(file);
let failures = 0;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failures = 0;
  } catch (err) {
    // Not fatal: the writer's own checkpoints are the backstop. Said once per run of failures.
    if (failures++ === 0) port.postMessage({ type: 'warn', message: err instanceof Error ? err.message : String(err) });
  }
}, intervalMs);

port.on('message', (m: { type: 'close' }) => {
  if (m.type !== 'close') return;
  clearInterval(timer);
  db.close();
  port.postMessage({ type: 'closed' });
  port.close();
});
port.postMessage('ready');
