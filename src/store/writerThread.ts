import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { WebhookConfig } from '../anomaly/alertConfig.ts';
import type { AlertEvent } from '../anomaly/alertTracker.ts';
import type { StreamState } from '../engine/stateTable.ts';
import { type EncodedStates, encodeStreamState } from '../engine/streamStateCodec.ts';
import type { Tick } from '../engine/stepTicks.ts';
import { KeySender } from '../engine/streamCodes.ts';
import { StoreError, StoreErrorCode, type StoreErrorCode as Code } from '../errors.ts';
import { startTsWorker } from '../util/tsWorker.ts';
import type { PrunedTable } from './retention.ts';
import { packTick, type WriterReply, type WriterRequest } from './writerProtocol.ts';

/** How often the checkpointer thread copies committed WAL pages back into the file. */
const CHECKPOINT_INTERVAL_MS = 50;

/**
 * The main thread's handle on the store's writer thread. `write` and
 * `snapshot` post at once, in order, and resolve when committed, so the engine
 * goes on stepping while earlier ticks are written, and the event loop never
 * waits on SQLite. A snapshot sent after some ticks takes each state's last
 * reading id once they are committed, so the id it records is exactly that of
 * the last reading its state includes; its rows are then written a chunk at a
 * time, ticks sent after it committing in between (writerWorker.ts).
 */
export class WriterThread {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: { count: number; more?: boolean }) => void; reject: (e: Error) => void }>();
  /** The stream keys the writer thread has been sent. */
  private readonly keys = new KeySender();
  private failed: Error | null = null;
  private checkpointerRunning = true;

  private constructor(private readonly worker: Worker, private readonly checkpointer: Worker, private readonly file: string, log: Logger) {
    checkpointer.once('exit', () => {
      this.checkpointerRunning = false;
    });
    worker.on('message', (r: WriterReply) => {
      const p = this.pending.get(r.id);
      if (p === undefined) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r);
      else p.reject(new StoreError(asStoreCode(r.code), r.file, r.message.startsWith(`${r.file}: `) ? r.message.slice(r.file.length + 2) : r.message));
    });
    const fail = (err: Error) => {
      this.failed = err;
      log.error({ err }, 'store writer thread stopped');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.pending.size > 0) fail(new StoreError(StoreErrorCode.WRITE, file, `writer thread exited (code ${code}) with writes pending`));
    });
  }

  /** Starts the writer thread and its checkpointer on `file` (already migrated). @throws StoreError when it cannot open the file. */
  static async start(file: string, log: Logger, webhook: WebhookConfig | null = null): Promise<WriterThread> {
    const worker = await startTsWorker(new URL('./writerWorker.ts', import.meta.url), { file, webhook });
    let checkpointer: Worker;
    try {
      checkpointer = await startTsWorker(new URL('./checkpointerWorker.ts', import.meta.url), { file, intervalMs: CHECKPOINT_INTERVAL_MS });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    checkpointer.on('message', (m: { type?: string; message?: string }) => {
      if (m.type === 'warn') log.warn({ file, error: m.message }, 'background checkpoint failed; the writer checkpoints itself past its backstop');
    });
    checkpointer.on('error', (err) => log.warn({ err, file }, 'checkpointer thread stopped; the writer checkpoints itself past its backstop'));
    return new WriterThread(worker, checkpointer, file, log);
  }

  /** Commits the tick's accepted readings and forecasts; resolves with how many readings once committed. */
  write(tick: Tick): Promise<number> {
    const packed = packTick(tick, this.keys);
    return this.send({ type: 'tick', id: this.nextId++, tick: packed }, [packed.codes.buffer, packed.ts.buffer, packed.value.buffer, packed.points.buffer, packed.modelVersion.buffer]);
  }

  /** Saves these states after every tick sent before; resolves with how many were saved. */
  snapshot(states: readonly StreamState[], modelVersion: number): Promise<number> {
    const blobs = states.map(encodeStreamState);
    const bytes = new Uint8Array(Buffer.concat(blobs));
    return this.snapshotEncoded({ keys: states.map((s) => s.key), bytes, sizes: Int32Array.from(blobs, (b) => b.length) }, modelVersion);
  }

  /** `snapshot` of states already encoded (StateTable.exportEncoded); their buffers are transferred. */
  snapshotEncoded(states: EncodedStates, modelVersion: number): Promise<number> {
    const { keys, bytes, sizes } = states;
    return this.send({ type: 'snapshot', id: this.nextId++, keys, states: bytes, sizes, modelVersion }, [bytes.buffer, sizes.buffer]);
  }

  /** Upserts alert events and queues their webhook deliveries (`payloads`, one per event), after every tick sent before. */
  alerts(events: readonly AlertEvent[], payloads: readonly string[] | null): Promise<number> {
    return this.send({ type: 'alerts', id: this.nextId++, events, payloads }, []);
  }

  /**
   * One step of a retention pass over `table` (rows older than `before`), between ticks: resolves
   * with the rows it deleted and whether the pass has more to do (call again with the same `before`).
   */
  async prune(table: PrunedTable, before: number, batch: number): Promise<{ deleted: number; more: boolean }> {
    const r = await this.request({ type: 'prune', id: this.nextId++, table, before, batch }, []);
    return { deleted: r.count, more: r.more ?? r.count > 0 };
  }

  /** Lets queued writes finish, closes the writer's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.checkpointerRunning) {
      const stopped = new Promise<void>((resolve) => {
        this.checkpointer.once('exit', () => resolve());
        this.checkpointer.on('message', (m: { type?: string }) => m.type === 'closed' && resolve());
      });
      this.checkpointer.postMessage({ type: 'close' });
      await stopped;
    }
    await this.checkpointer.terminate();
    if (this.failed === null) await this.send({ type: 'close', id: this.nextId++ }, []);
    await this.worker.terminate();
  }

  private async send(req: WriterRequest, transfer: ArrayBuffer[]): Promise<number> {
    return (await this.request(req, transfer)).count;
  }

  private request(req: WriterRequest, transfer: ArrayBuffer[]): Promise<{ count: number; more?: boolean }> {
    if (this.failed !== null) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.worker.postMessage(req, transfer);
    });
  }
}

function asStoreCode(code: string): Code {
  const codes: readonly string[] = Object.values(StoreErrorCode);
  return codes.includes(code) ? (code as Code) : StoreErrorCode.WRITE;
}
