import { beforeAll, describe, expect, it } from 'vitest';
import { RejectCode } from '../../src/errors.ts';
import { stepTick } from '../../src/engine/stepTicks.ts';
import { useBestBackend } from '../support/backend.ts';
import { makeEngine, reading } from '../support/engineFixture.ts';

const T0 = Date.UTC(2026, 0, 1);

describe('rejecting bad readings', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  const cases: [string, unknown, string][] = [
    ['NaN', { stream: 'a', ts: T0, value: Number.NaN }, RejectCode.VALUE_NOT_FINITE],
    ['+Infinity', { stream: 'a', ts: T0, value: Number.POSITIVE_INFINITY }, RejectCode.VALUE_NOT_FINITE],
    ['-Infinity', { stream: 'a', ts: T0, value: Number.NEGATIVE_INFINITY }, RejectCode.VALUE_NOT_FINITE],
    ['a string value', { stream: 'a', ts: T0, value: '12.5' }, RejectCode.VALUE_NOT_NUMBER],
    ['a missing value', { stream: 'a', ts: T0 }, RejectCode.VALUE_NOT_NUMBER],
    ['an empty key', { stream: '', ts: T0, value: 1 }, RejectCode.KEY_EMPTY],
    ['an over-long key', { stream: 'k'.repeat(65), ts: T0, value: 1 }, RejectCode.KEY_TOO_LONG],
    ['a non-string key', { stream: 17, ts: T0, value: 1 }, RejectCode.KEY_NOT_STRING],
    ['a non-object', 'hello', RejectCode.KEY_NOT_STRING],
    ['a negative timestamp', { stream: 'a', ts: -5, value: 1 }, RejectCode.TS_INVALID],
    ['a non-numeric timestamp', { stream: 'a', ts: '2026-01-01', value: 1 }, RejectCode.TS_INVALID],
  ];

  for (const [what, bad, code] of cases) {
    it(`rejects ${what} with ${code} while the rest of the tick goes on`, () => {
      const engine = makeEngine();
      const good1 = reading('good-1', 0);
      const good2 = reading('good-2', 0);
      const out = engine.step([good1, bad, good2]);
      expect(out.count).toBe(2);
      expect(out.rejected).toHaveLength(1);
      expect(out.rejected[0].index).toBe(1);
      expect(out.rejected[0].code).toBe(code);
      expect(out.rejected[0].message.length).toBeGreaterThan(10);
      expect(engine.table.exportState('good-1')?.stats[2]).toBe(1);
      expect(engine.table.exportState('good-2')?.stats[2]).toBe(1);
      // A rejected reading creates no stream.
      expect(engine.table.size).toBe(2);
      engine.dispose();
    });
  }

  it('rejects a timestamp earlier than the stream’s last, within a tick and across ticks', () => {
    const engine = makeEngine();
    engine.step([reading('s', 5)]);
    const out = engine.step([reading('s', 4), reading('s', 6), reading('s', 5), reading('other', 0)]);
    expect(out.rejected.map((r) => [r.index, r.code])).toEqual([
      [0, RejectCode.TS_OUT_OF_ORDER],
      [2, RejectCode.TS_OUT_OF_ORDER],
    ]);
    expect(out.count).toBe(2);
    expect(engine.table.exportState('s')?.stats[2]).toBe(2);
    engine.dispose();
  });

  it('rejects a repeated timestamp as a duplicate', () => {
    const engine = makeEngine();
    const out = engine.step([reading('d', 1), reading('d', 1)]);
    expect(out.rejected.map((r) => r.code)).toEqual([RejectCode.TS_DUPLICATE]);
    engine.dispose();
  });

  it('answers every reading of a mixed tick, in input order, forecast or rejection', () => {
    const engine = makeEngine();
    const readings = [reading('m', 0), { stream: 'm', ts: T0 + 1, value: Number.NaN }, reading('n', 0)];
    const { outcomes } = stepTick(engine, readings, 0.95);
    expect(outcomes.map((o) => o.kind)).toEqual(['forecast', 'rejected', 'forecast']);
    engine.dispose();
  });
});
