import type { GruWeights } from '../model/gruWeights.ts';
import type { ModelSpec } from '../model/modelSpec.ts';
import type { RowInputs, RowOutputs, TableView } from './roundBuffers.ts';

/**
 * Runs the rows of one round, on one thread or several. The engine plans the
 * tick; an executor only ever sees rows of distinct streams at once.
 */
export interface RoundExecutor {
  readonly spec: ModelSpec;
  /** Compute threads in use, this one included. */
  readonly threads: number;
  run(table: TableView, rows: RowInputs, out: RowOutputs, from: number, to: number): void;
  /**
   * As `run`, with the rows computed on helper threads while this thread's event
   * loop goes on; resolves once every row is applied. Executors without helpers
   * leave this out. The caller must not touch the table's rows until it resolves.
   */
  runAsync?(table: TableView, rows: RowInputs, out: RowOutputs, from: number, to: number): Promise<void>;
  /**
   * For a tick of `n` readings, how many of its first round's rows helper
   * threads could start on while the engine is still planning the rest
   * (0: none; executors without helpers leave this out).
   */
  earlyRows?(n: number): number;
  /**
   * Hands rows [from, to) of the first round to helper threads now; the next
   * `run` (that round, starting at `from`) computes the rest and waits for them.
   * The caller must not reallocate the table until then.
   */
  startEarly?(table: TableView, rows: RowInputs, out: RowOutputs, from: number, to: number): void;
  /** Swaps in new weights of the same spec (between ticks). */
  setWeights(weights: GruWeights): void;
  dispose(): void;
}
