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
import { RowStepper } from './rowStepper.ts';
import { STAT_COUNT } from './streamStats.ts';

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
  sent: { table: TableView; rows: RowInputs; out: RowOutputs } | null;
}

/**
 * Rounds split across threads, for the single-threaded CPU backends (wasm,
 * cpu): each round's rows are shared between this thread and the workers, each
 * with its own tfjs instance, working in place on the state table in shared
 * memory. `run` stays synchronous: it hands out the parts, runs its own, then
 * waits (Atomics) for the others. A worker whose part fails is retired, the
 * table rows it held are restored from a copy taken before the round, and its
 * rows are computed here; a worker that does not take its part in time (dead or
 * stuck) has the part taken back and computed here. Either way each row of a
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
  private backupHidden = new Float32Array(0);
  private backupStats = new Float64Array(0);
  /** Smoothed rows per millisecond of this thread. */
  private speed = 1;

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
    const mine = from + Math.max(1, Math.round((batch * this.speed) / total));
    this.backup(table, rows, mine, to);
    let next = mine;
    live.forEach((w, i) => {
      w.from = next;
      w.to = i === live.length - 1 ? to : Math.min(to, next + Math.round((batch * w.speed) / total));
      next = w.to;
      if (w.to > w.from) this.dispatch(w, table, rows, out);
    });
    const started = performance.now();
    this.stepper.run(table, rows, out, from, mine);
    this.speed = smooth(this.speed, (mine - from) / Math.max(1e-3, performance.now() - started));
    for (const w of live) {
      if (w.to <= w.from) continue;
      const finished = this.await(w);
      if (finished && w.ctl[Ctl.STATUS] === Status.OK) {
        w.speed = smooth(w.speed, (w.to - w.from) / Math.max(1e-3, w.ctl[Ctl.ELAPSED_US] / 1000));
        continue;
      }
      this.retire(w, finished ? 'its rows failed' : `it did not take its rows within ${this.timeoutMs} ms`);
      // A failed part may have written some of its rows before failing; a revoked one wrote none.
      if (finished) this.restore(table, rows, mine, w.from, w.to);
      this.stepper.run(table, rows, out, w.from, w.to);
    }
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
    if (s === null || s.table.hidden !== table.hidden || s.table.stats !== table.stats || s.rows.slot !== rows.slot || s.out.mean !== out.mean) {
      // Shared arrays were reallocated (the table or a tick grew): the worker maps the new ones first.
      w.sent = { table: { hidden: table.hidden, stats: table.stats }, rows, out };
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
    let deadline = performance.now() + this.timeoutMs;
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
      Atomics.wait(w.ctl, Ctl.DONE, done, left);
    }
  }

  /** Copies the table rows that workers will touch (positions [from, to)), so a failed part can be redone. */
  private backup(table: TableView, rows: RowInputs, from: number, to: number): void {
    const h = this.spec.hidden;
    const n = to - from;
    if (this.backupStats.length < n * STAT_COUNT) {
      this.backupHidden = new Float32Array(n * h);
      this.backupStats = new Float64Array(n * STAT_COUNT);
    }
    const bh = this.backupHidden;
    const bs = this.backupStats;
    const { hidden, stats } = table;
    for (let j = 0; j < n; j++) {
      const slot = rows.slot[from + j];
      for (let q = 0; q < h; q++) bh[j * h + q] = hidden[slot * h + q];
      for (let q = 0; q < STAT_COUNT; q++) bs[j * STAT_COUNT + q] = stats[slot * STAT_COUNT + q];
    }
  }

  private restore(table: TableView, rows: RowInputs, base: number, from: number, to: number): void {
    const h = this.spec.hidden;
    for (let p = from; p < to; p++) {
      const j = p - base;
      const slot = rows.slot[p];
      for (let q = 0; q < h; q++) table.hidden[slot * h + q] = this.backupHidden[j * h + q];
      for (let q = 0; q < STAT_COUNT; q++) table.stats[slot * STAT_COUNT + q] = this.backupStats[j * STAT_COUNT + q];
    }
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
