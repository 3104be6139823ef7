import type { GruWeights } from '../model/gruWeights.ts';
import type { ModelSpec } from '../model/modelSpec.ts';
import type { StepKernel } from '../model/stepKernel.ts';
import type { RowInputs, RowOutputs, TableView } from './roundBuffers.ts';
import type { RoundExecutor } from './roundExecutor.ts';
import { RowStepper } from './rowStepper.ts';

/** Every round on this thread, through one kernel. */
export class LocalRounds implements RoundExecutor {
  readonly threads = 1;
  private readonly stepper: RowStepper;

  constructor(readonly kernel: StepKernel) {
    this.stepper = new RowStepper(kernel);
  }

  get spec(): ModelSpec {
    return this.kernel.spec;
  }

  run(table: TableView, rows: RowInputs, out: RowOutputs, from: number, to: number): void {
    this.stepper.run(table, rows, out, from, to);
  }

  setWeights(weights: GruWeights): void {
    this.kernel.setWeights(weights);
  }

  dispose(): void {
    this.kernel.dispose();
  }
}
