import type { GruWeights } from './gruWeights.ts';
import type { ModelSpec } from './modelSpec.ts';

/**
 * One batched GRU step plus the output head: the whole of the per-tick
 * computation, behind the smallest interface that a faster path (a device-resident
 * table, a worker pool, a fused kernel) can implement too.
 */
export interface StepKernel {
  readonly spec: ModelSpec;
  /**
   * Steps `batch` streams. `xh` holds one row of `[x_t, h_{t-1}]` (D + H values) per stream;
   * writes `h_t` (H values a row) to `hOut` and the head's raw outputs (2K a row:
   * K normalised means, then K raw scales) to `yOut`. All row-major.
   */
  step(batch: number, xh: Float32Array, hOut: Float32Array, yOut: Float32Array): void;
  /** Swaps in new weights of the same spec (between ticks). */
  setWeights(weights: GruWeights): void;
  dispose(): void;
}
