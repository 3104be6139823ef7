import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { BackendName } from '../config.ts';
import { KernelError } from '../errors.ts';
import type { GruWeights } from '../model/gruWeights.ts';
import type { ModelSpec } from '../model/modelSpec.ts';
import { TfGruKernel } from '../model/tfGruKernel.ts';
import { startTsWorker } from '../util/tsWorker.ts';
import type { RowInputs, RowOutputs, TableView } from './roundBuffers.ts';
import type { RoundExecutor } from './roundExecutor.ts';
import { Claim, Ctl, CTL_SLOTS, Op, type RoundMessage, Status } from './roundProtocol.ts';
import { allocRowBackup, type RowBackup, restoreRows } from './rowBackup.ts';
import { RowStepper } from './rowStepper.ts';

export interface ParallelOptions {
  /** The backend the workers start (the one this thread selected). */
  readonly backend: BackendName;
  /** Compute threads in all, this one included. */
  readonly threads: number;
  /** Rounds smaller than this run here alone: splitting them costs more than it saves. */
  readonly minRowsToSplit?: number;
  /** How long to wait for a worker's rows before computing them here instead. */
  readonly timeoutMs?: number;
  readonly log: Logger;
}

interface Handle {
  readonly worker: Worker;
  readonly ctl: Int32Array;
  readonly port: MessagePort;
  seq: number;
  version: number;
  alive: boolean;
  from: number;
  to: number;
  /** Smoothed rows per millisecond, for sizing its next share. */
  speed: number;
  sent: { table: TableView; rows: RowInputs; out: RowOutputs; backup: RowBackup } | null;
}

/**
 * Rounds split across threads, for the single-threaded CPU backends (wasm,
 * cpu): each round's rows are shared between this thread and the workers, each
 * with its own tfjs instance, working in place on the state table in shared
 * memory. `run` stays synchronous: it hands out the parts, runs its own, then
 * waits (Atomics) for the others. A worker whose part fails is retired, the
 * table rows it held are restored from the copy it took before writing them,
 * and its rows are computed here; a worker that does not take its part in time
 * (dead or stuck) has the part taken back and computed here. Either way each row of a
 * round is applied exactly once.
 */
export class ParallelRounds implements RoundExecutor {
  readonly spec: ModelSpec;
  private readonly local: TfGruKernel;
  private readonly stepper: RowStepper;
  private readonly handles: Handle[];
  private readonly minRows: number;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  /** Smoothed rows per millisecond of this thread. */
  private speed = 1;
  /** Rows of the next round already handed out by `startEarly`, and to whom. */
  private early: { from: number; to: number; started: number; live: Handle[] } | null = null;

  private constructor(spec: ModelSpec, local: TfGruKernel, handles: Handle[], opts: ParallelOptions) {
    this.spec = spec;
    this.local = local;
    this.stepper = new RowStepper(local);
    this.handles = handles;
    this.minRows = opts.minRowsToSplit ?? 512;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.log = opts.log;
  }

  /**
   * Starts `threads − 1` workers and waits until each has its backend and weights.
   * @throws KernelError when a worker cannot start.
   */
  static async create(spec: ModelSpec, weights: GruWeights, opts: ParallelOptions): Promise<ParallelRounds> {
    const local = new TfGruKernel(spec, weights);
    const handles: Handle[] = [];
    try {
      for (let i = 1; i < opts.threads; i++) handles.push(await startWorker(spec, weights, opts.backend, opts.log));
    } catch (err) {
      for (const h of handles) void h.worker.terminate();
      local.dispose();
      throw new KernelError(`a compute thread could not start: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    opts.log.info({ threads: handles.length + 1, backend: opts.backend }, 'rounds split across compute threads');
    return new ParallelRounds(spec, local, handles, opts);
  }

  get threads(): number {
    return 1 + this.handles.filter((h) => h.alive).length;
  }

  /** The compute threads, for diagnostics (resource use, or stopping one in a test). */
  get workers(): readonly Worker[] {
    return this.handles.map((h) => h.worker);
  }

  run(table: TableView, rows: RowInputs, out: RowOutputs, from: number, to: number): void {
    const early = this.early;
    this.early = null;
    // This thread's rows [mine, end), the workers' parts, and when this thread's share started to count.
    let mine: number;
    let end: number;
    let parts: Handle[];
    let started: number;
    if (early !== null) {
      if (early.from !== from || early.to > to) throw new KernelError(`round [${from}, ${to}) does not start with the rows handed out early [${early.from}, ${early.to})`);
      // The workers have had [from, early.to) since the engine was still planning; the rest is this thread's.
      // Timed from the hand-out, so the planning done meanwhile counts against this thread's share next time.
      mine = early.to;
      end = to;
      parts = early.live;
      started = early.started;
    } else {
      const live = this.handles.filter((h) => h.alive);
      const batch = to - from;
      if (batch < this.minRows || live.length === 0) {
        this.stepper.run(table, rows, out, from, to);
        return;
      }
      // Shares follow each thread's measured speed, so a thread slowed by other
      // work (this one also plans the ticks) gets fewer rows and none waits long.
      let total = this.speed;
      for (const w of live) total += w.speed;
      const split = from + Math.max(1, Math.round((batch * this.speed) / total));
      this.handOut(live, table, rows, out, split, to);
      mine = from;
      end = split;
      parts = live;
      started = performance.now();
    }
    this.stepper.run(table, rows, out, mine, end);
    this.speed = smooth(this.speed, (end - mine) / Math.max(1e-3, performance.now() - started));
    this.collect(parts, table, rows, out);
  }

  earlyRows(n: number): number {
    let workers = 0;
    for (const w of this.handles) if (w.alive) workers += w.speed;
    if (n < this.minRows || workers === 0) return 0;
    return Math.max(1, Math.min(n - 1, Math.round((n * workers) / (this.speed + workers))));
  }

  startEarly(table: TableView, rows: RowInputs, out: RowOutputs, from: number, to: number): void {
    const live = this.handles.filter((h) => h.alive);
    if (live.length === 0 || to <= from) return;
    this.handOut(live, table, rows, out, from, to);
    this.early = { from, to, started: performance.now(), live };
  }

  /** Splits rows [from, to) between `live` workers by speed, dispatching each part. */
  private handOut(live: Handle[], table: TableView, rows: RowInputs, out: RowOutputs, from: number, to: number): void {
    let total = 0;
    for (const w of live) total += w.speed;
    let next = from;
    live.forEach((w, i) => {
      w.from = next;
      w.to = i === live.length - 1 ? to : Math.min(to, next + Math.round(((to - from) * w.speed) / total));
      next = w.to;
      if (w.to > w.from) this.dispatch(w, table, rows, out);
    });
  }

  /**
   * Waits for each worker's part. A part that failed after its worker backed
   * its rows up is restored from that backup and computed here; a part never
   * taken, or failed before touching the table, is computed here too. Either
   * way each row is applied exactly once.
   */
  private collect(live: Handle[], table: TableView, rows: RowInputs, out: RowOutputs): void {
    for (const w of live) if (w.to > w.from) this.settle(w, this.await(w), table, rows, out);
  }

  /**
   * All of the round on the workers (none of it here), waited for without
   * blocking this thread: its event loop goes on serving sockets while they
   * compute. Failures are handled as in `run`. Rounds smaller than
   * `minRowsToSplit` are computed here at once (a hand-off costs more than they do).
   */
  async runAsync(table: TableView, rows: RowInputs, out: RowOutputs, from: number, to: number): Promise<void> {
    const live = this.handles.filter((h) => h.alive);
    if (to - from < this.minRows || live.length === 0) {
      this.stepper.run(table, rows, out, from, to);
      return;
    }
    this.handOut(live, table, rows, out, from, to);
    for (const w of live) if (w.to > w.from) this.settle(w, await this.awaitAsync(w), table, rows, out);
  }

  /** After a worker's part: its speed noted, or its rows restored and computed here. */
  private settle(w: Handle, finished: boolean, table: TableView, rows: RowInputs, out: RowOutputs): void {
    if (finished && w.ctl[Ctl.STATUS] === Status.OK) {
      w.speed = smooth(w.speed, (w.to - w.from) / Math.max(1e-3, w.ctl[Ctl.ELAPSED_US] / 1000));
      return;
    }
    this.retire(w, finished ? 'its rows failed' : `it did not take its rows within ${this.timeoutMs} ms`);
    // A part may have written some of its rows before failing, never before its backup was complete.
    if (Atomics.load(w.ctl, Ctl.BACKED_UP) === w.seq && w.sent !== null) restoreRows(w.sent.backup, table, rows, w.from, w.to, this.spec.hidden);
    this.stepper.run(table, rows, out, w.from, w.to);
  }

  setWeights(weights: GruWeights): void {
    this.local.setWeights(weights);
    for (const w of this.handles) {
      if (!w.alive) continue;
      w.version++;
      w.port.postMessage({ type: 'weights', version: w.version, weights } satisfies RoundMessage);
    }
  }

  dispose(): void {
    for (const w of this.handles) {
      if (w.alive) {
        w.ctl[Ctl.OP] = Op.EXIT;
        Atomics.store(w.ctl, Ctl.SEQ, ++w.seq);
        Atomics.notify(w.ctl, Ctl.SEQ);
        w.alive = false;
      }
      w.port.close();
      void w.worker.terminate();
    }
    this.local.dispose();
  }

  private dispatch(w: Handle, table: TableView, rows: RowInputs, out: RowOutputs): void {
    const s = w.sent;
    if (s === null || s.table.hidden !== table.hidden || s.table.stats !== table.stats || s.table.profile !== table.profile || s.rows.slot !== rows.slot || s.out.mean !== out.mean) {
      // Shared arrays were reallocated (the table or a tick grew): the worker maps the new ones first.
      const backup = s !== null && s.rows.slot.length === rows.slot.length ? s.backup : allocRowBackup(rows.slot.length, this.spec.hidden);
      w.sent = { table: { hidden: table.hidden, stats: table.stats, profile: table.profile }, rows, out, backup };
      w.version++;
      w.port.postMessage({ type: 'buffers', version: w.version, ...w.sent } satisfies RoundMessage);
    }
    w.ctl[Ctl.FROM] = w.from;
    w.ctl[Ctl.TO] = w.to;
    w.ctl[Ctl.VERSION] = w.version;
    w.ctl[Ctl.OP] = Op.RUN;
    w.ctl[Ctl.STATUS] = 0;
    w.ctl[Ctl.CLAIM] = Claim.OPEN;
    Atomics.store(w.ctl, Ctl.SEQ, ++w.seq);
    Atomics.notify(w.ctl, Ctl.SEQ);
  }

  /**
   * Waits for the worker's current job. Returns false only when the worker never
   * took the job within the timeout and the job was taken back, so it will not
   * touch the table; a job the worker has taken is waited for to the end.
   */
  private await(w: Handle): boolean {
    return this.waitLoop(w, (done, left) => {
      Atomics.wait(w.ctl, Ctl.DONE, done, left);
      return undefined;
    }) as boolean;
  }

  /** `await`, without blocking this thread (Atomics.waitAsync). */
  private async awaitAsync(w: Handle): Promise<boolean> {
    return this.waitLoop(w, (done, left) => {
      const r = Atomics.waitAsync(w.ctl, Ctl.DONE, done, left);
      return r.async ? r.value : undefined;
    });
  }

  /** The loop of `await` and `awaitAsync`: `wait` blocks, or returns a promise, until DONE moves from `done` or `left` ms pass. */
  private waitLoop(w: Handle, wait: (done: number, left: number) => Promise<unknown> | undefined): boolean | Promise<boolean> {
    let deadline = performance.now() + this.timeoutMs;
    const step = (): boolean | Promise<boolean> => {
      for (;;) {
        const done = Atomics.load(w.ctl, Ctl.DONE);
        if (done === w.seq) return true;
        const left = deadline - performance.now();
        if (left <= 0) {
          if (Atomics.compareExchange(w.ctl, Ctl.CLAIM, Claim.OPEN, Claim.REVOKED) === Claim.OPEN) return false;
          this.log.warn({ waitedMs: this.timeoutMs }, 'compute thread is slow to finish its rows; still waiting');
          deadline = performance.now() + this.timeoutMs;
          continue;
        }
        const pending = wait(done, left);
        if (pending !== undefined) return pending.then(step);
      }
    };
    return step();
  }

  private retire(w: Handle, reason: string): void {
    w.alive = false;
    void w.worker.terminate();
    this.log.error({ reason, threadsLeft: this.threads }, 'compute thread retired; its rows are computed on the main thread');
  }
}

function smooth(old: number, sample: number): number {
  return Number.isFinite(sample) && sample > 0 ? 0.8 * old + 0.2 * sample : old;
}

async function startWorker(spec: ModelSpec, weights: GruWeights, backend: BackendName, log: Logger): Promise<Handle> {
  const control = new SharedArrayBuffer(CTL_SLOTS * 4);
  const { port1, port2 } = new MessageChannel();
  const worker = await startTsWorker(new URL('./roundWorker.ts', import.meta.url), { backend, spec, weights, control, port: port2 }, [port2]);
  worker.unref();
  const handle: Handle = { worker, ctl: new Int32Array(control), port: port1, seq: 0, version: 0, alive: true, from: 0, to: 0, speed: 1, sent: null };
  // A worker that dies between rounds is not given work again; one that dies in a
  // round is caught by the round's timeout. Neither is fatal to the service.
  worker.on('error', (err) => {
    handle.alive = false;
    log.error({ err }, 'compute thread failed');
  });
  worker.on('exit', () => {
    handle.alive = false;
  });
  worker.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && 'message' in m) log.error({ reason: String(m.message) }, 'compute thread could not run its rows');
  });
  return handle;
}
