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
  /** Swaps in new weights of the same spec (between ticks). */
  setWeights(weights: GruWeights): void;
  dispose(): void;
}
