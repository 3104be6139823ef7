/**
 * A compute thread of ParallelRounds: its own tfjs instance on the same backend,
 * running the rows it is handed on the shared state table. It blocks in
 * Atomics.wait between jobs (a futex wake-up, no event-loop hop) and takes new
 * weights and buffers synchronously from its port, in order.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { createBackendRegistry } from '../backend/backendRegistry.ts';
import { selectBackend } from '../backend/selectBackend.ts';
import type { BackendName } from '../config.ts';
import type { GruWeights } from '../model/gruWeights.ts';
import type { ModelSpec } from '../model/modelSpec.ts';
import { TfGruKernel } from '../model/tfGruKernel.ts';
import type { RowInputs, RowOutputs, TableView } from './roundBuffers.ts';
import { Claim, Ctl, Op, type RoundMessage, Status } from './roundProtocol.ts';
import { type RowBackup, saveRows } from './rowBackup.ts';
import { RowStepper } from './rowStepper.ts';

interface RoundWorkerData {
  backend: BackendName;
  spec: ModelSpec;
  weights: GruWeights;
  control: SharedArrayBuffer;
  port: MessagePort;
}

const data = workerData as RoundWorkerData;
const ctl = new Int32Array(data.control);
const pause = new Int32Array(new SharedArrayBuffer(4));
await selectBackend(data.backend, createBackendRegistry(), pino({ level: 'silent' }));
const kernel = new TfGruKernel(data.spec, data.weights);
const stepper = new RowStepper(kernel);
const mapped: { buffers: { table: TableView; rows: RowInputs; out: RowOutputs; backup: RowBackup } | null } = { buffers: null };
let version = 0;

function catchUp(required: number): void {
  while (version < required) {
    const received = receiveMessageOnPort(data.port);
    if (received === undefined) {
      Atomics.wait(pause, 0, 0, 1);
      continue;
    }
    const msg = received.message as RoundMessage;
    if (msg.type === 'weights') kernel.setWeights(msg.weights);
    else mapped.buffers = { table: msg.table, rows: msg.rows, out: msg.out, backup: msg.backup };
    version = msg.version;
  }
}

parentPort?.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(ctl, Ctl.SEQ, seen);
  seen = Atomics.load(ctl, Ctl.SEQ);
  if (ctl[Ctl.OP] === Op.EXIT) break;
  // The pool may have given up on this job and run it itself: then leave it alone.
  if (Atomics.compareExchange(ctl, Ctl.CLAIM, Claim.OPEN, Claim.TAKEN) !== Claim.OPEN) continue;
  try {
    catchUp(ctl[Ctl.VERSION]);
    const started = performance.now();
    const b = mapped.buffers;
    if (b === null) throw new Error('no shared buffers were sent before the first job');
    // A copy of the rows first, so that the pool can undo this part if it fails half-way.
    saveRows(b.backup, b.table, b.rows, ctl[Ctl.FROM], ctl[Ctl.TO], data.spec.hidden);
    Atomics.store(ctl, Ctl.BACKED_UP, seen);
    stepper.run(b.table, b.rows, b.out, ctl[Ctl.FROM], ctl[Ctl.TO]);
    ctl[Ctl.ELAPSED_US] = Math.round((performance.now() - started) * 1000);
    ctl[Ctl.STATUS] = Status.OK;
  } catch (err) {
    ctl[Ctl.STATUS] = Status.FAILED;
    // The pool recomputes these rows itself; it logs why once it is back in its event loop.
    parentPort?.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
  Atomics.store(ctl, Ctl.DONE, seen);
  Atomics.notify(ctl, Ctl.DONE);
}
kernel.dispose();
