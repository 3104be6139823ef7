import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { ParallelRounds } from '../../src/engine/parallelRounds.ts';
import { StateTable } from '../../src/engine/stateTable.ts';
import { useBestBackend } from '../support/backend.ts';
import { HIDDEN, makeEngine, reading, SPEC, WEIGHTS } from '../support/engineFixture.ts';
import { randomWeights } from '../support/referenceGru.ts';
import type { BackendName } from '../../src/config.ts';

let backend: BackendName;
const open: Engine[] = [];

async function parallelEngine(threads: number): Promise<{ engine: Engine; pool: ParallelRounds }> {
  const pool = await ParallelRounds.create(SPEC, WEIGHTS, { backend, threads, minRowsToSplit: 8, timeoutMs: 2_000, log: pino({ level: 'silent' }) });
  const engine = new Engine(pool, new StateTable(HIDDEN, 2), { maxKeyLength: 64, modelVersion: 3 });
  open.push(engine);
  return { engine, pool };
}

function expectSameState(a: Engine, b: Engine, streams: readonly string[]): void {
  for (const s of streams) {
    expect(Array.from(a.table.exportState(s)?.hidden ?? [])).toEqual(Array.from(b.table.exportState(s)?.hidden ?? []));
    expect(Array.from(a.table.exportState(s)?.stats ?? [])).toEqual(Array.from(b.table.exportState(s)?.stats ?? []));
  }
}

describe('ParallelRounds', () => {
  beforeAll(async () => {
    const name = await useBestBackend();
    backend = name === 'tensorflow' || name === 'tensorflow-gpu' ? name : name === 'wasm' ? 'wasm' : 'cpu';
  });

  afterEach(() => {
    for (const e of open.splice(0)) e.dispose();
  });

  it('gives exactly the states and forecasts of one thread, through table growth and a weight swap', async () => {
    const { engine, pool } = await parallelEngine(3);
    expect(pool.threads).toBe(3);
    const local = makeEngine();
    open.push(local);
    const streams = Array.from({ length: 300 }, (_, i) => `p-${i}`);
    const swapped = randomWeights(SPEC.inputSize, HIDDEN, 4, 77, 0.4);
    for (let i = 0; i < 12; i++) {
      if (i === 6) {
        engine.setModel(swapped, 4);
        local.setModel(swapped, 4);
      }
      // Streams join over time, so the shared table is reallocated while workers hold it.
      const tick = streams.slice(0, 50 + i * 25).flatMap((s) => (i % 3 === 0 ? [reading(s, 2 * i), reading(s, 2 * i + 1)] : [reading(s, 2 * i)]));
      const a = engine.step(tick);
      const aMean = Array.from(a.mean.subarray(0, a.count * 2));
      const b = local.step(tick);
      expect(aMean).toEqual(Array.from(b.mean.subarray(0, b.count * 2)));
    }
    expectSameState(engine, local, streams);
  });

  it('carries on with the right results when a compute thread dies', async () => {
    const { engine, pool } = await parallelEngine(2);
    const local = makeEngine();
    open.push(local);
    const streams = Array.from({ length: 64 }, (_, i) => `q-${i}`);
    const both = (i: number) => {
      const tick = streams.map((s) => reading(s, i));
      engine.step(tick);
      local.step(tick);
    };
    both(0);
    await pool.workers[0].terminate();
    both(1);
    both(2);
    expect(pool.threads).toBe(1);
    expectSameState(engine, local, streams);
  });
});
