import { describe, expect, it } from 'vitest';
import { RejectCode } from '../../src/errors.ts';
import { MAX_TAGS, normaliseReading } from '../../src/ingest/normaliseReading.ts';

const norm = (r: Record<string, unknown>) => {
  const problem = normaliseReading(r);
  return { problem, r };
};

describe('readings at the edge', () => {
  it.each([
    ['epoch milliseconds', 1_767_225_600_123, 1_767_225_600_123],
    ['epoch seconds', 1_767_225_600, 1_767_225_600_000],
    ['fractional epoch seconds', 1_767_225_600.5, 1_767_225_600_500],
    ['ISO 8601 with Z', '2026-01-01T00:00:00.123Z', Date.UTC(2026, 0, 1, 0, 0, 0, 123)],
    ['ISO 8601 with an offset', '2026-01-01T02:00:00+02:00', Date.UTC(2026, 0, 1)],
    ['ISO 8601 without a zone, taken as UTC', '2026-01-01 00:00:00', Date.UTC(2026, 0, 1)],
    ['a date alone', '2026-01-01', Date.UTC(2026, 0, 1)],
  ])('takes %s', (_what, ts, ms) => {
    const { problem, r } = norm({ stream: 's', ts, value: 1 });
    expect(problem).toBeNull();
    expect(r.ts).toBe(ms);
  });

  it.each([['yesterday'], ['2026-13-45T00:00:00Z'], ['1767225600'], ['']])('refuses the time %j with FC_ERR_TS_INVALID', (ts) => {
    expect(norm({ stream: 's', ts, value: 1 }).problem?.code).toBe(RejectCode.TS_INVALID);
  });

  it('takes string tags and refuses others with FC_ERR_TAGS_INVALID', () => {
    expect(norm({ stream: 's', ts: 1, value: 1, tags: { site: 'north', unit: 'C' } }).problem).toBeNull();
    expect(norm({ stream: 's', ts: 1, value: 1, tags: ['a'] }).problem?.code).toBe(RejectCode.TAGS_INVALID);
    expect(norm({ stream: 's', ts: 1, value: 1, tags: { n: 5 } }).problem?.code).toBe(RejectCode.TAGS_INVALID);
    const many = Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`k${i}`, 'v']));
    expect(norm({ stream: 's', ts: 1, value: 1, tags: many }).problem?.code).toBe(RejectCode.TAGS_INVALID);
  });
});
