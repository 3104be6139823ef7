import type { GruWeights } from '../model/gruWeights.ts';
import type { RowInputs, RowOutputs, TableView } from './roundBuffers.ts';
import type { RowBackup } from './rowBackup.ts';

/** Slots of the control Int32Array shared between ParallelRounds and one round worker. */
export const Ctl = {
  /** Bumped by the pool for each job; the worker waits on it. */
  SEQ: 0,
  /** The worker writes the SEQ it finished here; the pool waits on it. */
  DONE: 1,
  OP: 2,
  /** The job's rows: [FROM, TO) of the shared row buffers. */
  FROM: 3,
  TO: 4,
  /** Messages up to this version must be applied before the job. */
  VERSION: 5,
  STATUS: 6,
  /** Microseconds the worker spent on the job, for balancing the next split. */
  ELAPSED_US: 7,
  /** 0 when a job is posted; the worker sets 1 to take it, the pool 2 to take it back. */
  CLAIM: 8,
  /** The SEQ of the job whose rows the worker has backed up (it writes the table only after this). */
  BACKED_UP: 9,
} as const;
export const CTL_SLOTS = 10;
export const Claim = { OPEN: 0, TAKEN: 1, REVOKED: 2 } as const;

export const Op = { RUN: 1, EXIT: 2 } as const;
export const Status = { OK: 1, FAILED: 2 } as const;

/** Sent on a worker's port and applied in order, before any job of a later version. */
export type RoundMessage =
  | { readonly type: 'weights'; readonly version: number; readonly weights: GruWeights }
  | { readonly type: 'buffers'; readonly version: number; readonly table: TableView; readonly rows: RowInputs; readonly out: RowOutputs; readonly backup: RowBackup };
