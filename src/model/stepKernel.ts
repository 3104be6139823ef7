import type { GruWeights } from './gruWeights.ts';
import type { ModelSpec } from './modelSpec.ts';

/**
 * One batch's inputs, row-major, laid out three ways so that no kernel has to
 * re-lay them out on the host: `[x_t, h_{t-1}]` (D + H values a row, what the
 * gates multiply), `x_t` alone (D) and `h_{t-1}` alone (H). The caller writes
 * all three as it gathers the rows; splitting them afterwards cost about 7 % of
 * the wasm kernel's time.
 */
export interface StepInputs {
  readonly xh: Float32Array;
  readonly x: Float32Array;
  readonly h: Float32Array;
}

/** A step's results, row-major: `h_t` (H a row) and the head's raw outputs (2K a row: K normalised means, then K raw scales). */
export interface StepOutputs {
  readonly h: Float32Array;
  readonly y: Float32Array;
}

/**
 * One batched GRU step plus the output head: the whole of the per-tick
 * computation, behind the smallest interface that a faster path (a device-resident
 * table, a worker pool, a fused kernel) can implement too.
 */
export interface StepKernel {
  readonly spec: ModelSpec;
  /**
   * Steps `batch` streams from the first `batch` rows of `inputs`. The returned
   * arrays hold at least `batch` rows and are the caller's to read until the
   * next call (a kernel may reuse them).
   */
  step(batch: number, inputs: StepInputs): StepOutputs;
  /** Swaps in new weights of the same spec (between ticks). */
  setWeights(weights: GruWeights): void;
  dispose(): void;
}
