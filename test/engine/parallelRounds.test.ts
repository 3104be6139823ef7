import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type TickOutput } from '../../src/engine/engine.ts';
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

/**
 * Steps `engine` (through `step`) and a one-thread engine over 12 ticks in which 300 streams join over
 * time (the shared table is reallocated while workers hold it), every third tick has two readings a
 * stream (two rounds), and the weights are swapped half-way: forecasts and states must be the same.
 */
async function matchesOneThread(engine: Engine, prefix: string, step: (tick: unknown[], i: number) => Promise<TickOutput>): Promise<void> {
  const local = makeEngine();
  open.push(local);
  const streams = Array.from({ length: 300 }, (_, i) => `${prefix}-${i}`);
  const swapped = randomWeights(SPEC.inputSize, HIDDEN, 4, 77, 0.4);
  for (let i = 0; i < 12; i++) {
    if (i === 6) {
      engine.setModel(swapped, 4);
      local.setModel(swapped, 4);
    }
    const tick = streams.slice(0, 50 + i * 25).flatMap((s) => (i % 3 === 0 ? [reading(s, 2 * i), reading(s, 2 * i + 1)] : [reading(s, 2 * i)]));
    const a = await step(tick, i);
    const aMean = Array.from(a.mean.subarray(0, a.count * 2));
    const b = local.step(tick);
    expect(aMean).toEqual(Array.from(b.mean.subarray(0, b.count * 2)));
  }
  expectSameState(engine, local, streams);
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
    await matchesOneThread(engine, 'p', async (tick) => engine.step(tick));
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

  it('steps without blocking: the same states and forecasts as one thread, through growth, several rounds and a weight swap', async () => {
    const { engine } = await parallelEngine(3);
    expect(engine.stepsAsync).toBe(true);
    const one = makeEngine();
    open.push(one);
    expect(one.stepsAsync).toBe(false);
    await matchesOneThread(engine, 'a', async (tick, i) => {
      const pending = engine.stepAsync(tick);
      // Out on the compute threads: a second step now is refused.
      expect(() => engine.step(tick)).toThrow(expect.objectContaining({ code: 'FC_ERR_KERNEL' }));
      const out = await pending;
      expect(out.rounds).toBe(i % 3 === 0 ? 2 : 1);
      return out;
    });
  });

  it('runs exclusive work between steps, never while one is out', async () => {
    const { engine } = await parallelEngine(2);
    const local = makeEngine();
    open.push(local);
    const streams = Array.from({ length: 64 }, (_, i) => `x-${i}`);
    const order: string[] = [];
    const step = (i: number) =>
      engine.exclusive(async () => {
        order.push(`step ${i} starts`);
        await engine.stepAsync(streams.map((s) => reading(s, i)));
        order.push(`step ${i} ends`);
      });
    const steps = [step(0)];
    // Asked for once step 0 is out: it waits for it, and step 1, asked for after, waits for the read.
    await Promise.resolve();
    expect(order).toEqual(['step 0 starts']);
    const seen = engine.exclusive(() => {
      order.push('read');
      return Array.from(engine.table.exportState('x-5')?.hidden ?? []);
    });
    steps.push(step(1), step(2));
    expect(engine.queueDepth).toBe(4);
    await Promise.all(steps);
    await seen;
    expect(engine.queueDepth).toBe(0);
    local.step(streams.map((s) => reading(s, 0)));
    expect(await seen).toEqual(Array.from(local.table.exportState('x-5')?.hidden ?? []));
    expect(order).toEqual(['step 0 starts', 'step 0 ends', 'read', 'step 1 starts', 'step 1 ends', 'step 2 starts', 'step 2 ends']);
    // A failed piece of work does not stop the ones after it.
    await expect(engine.exclusive(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await engine.exclusive(() => 'after')).toBe('after');
  });

  it('steps without blocking past a compute thread that dies', async () => {
    const { engine, pool } = await parallelEngine(2);
    const local = makeEngine();
    open.push(local);
    const streams = Array.from({ length: 64 }, (_, i) => `y-${i}`);
    const both = async (i: number) => {
      const tick = streams.map((s) => reading(s, i));
      await engine.stepAsync(tick);
      local.step(tick);
    };
    await both(0);
    await pool.workers[0].terminate();
    await both(1);
    await both(2);
    expect(pool.threads).toBe(1);
    expectSameState(engine, local, streams);
  });
});
