import { describe, expect, it } from 'vitest';
import { CronSchedule } from '../../src/jobs/cronSchedule.ts';

// Saturday 28 November 2026, 10:07:30 UTC.
const SAT = new Date('2026-11-28T10:07:30Z');
const next = (expr: string, after = SAT) => new CronSchedule(expr).next(after)?.toISOString();

describe('cron schedule', () => {
  it('runs once a night at the given time', () => {
    expect(next('0 3 * * *')).toBe('2026-11-29T03:00:00.000Z');
    expect(next('0 3 * * *', new Date('2026-11-29T02:59:59Z'))).toBe('2026-11-29T03:00:00.000Z');
    // Strictly after: at 03:00 itself the next run is the following night.
    expect(next('0 3 * * *', new Date('2026-11-29T03:00:00Z'))).toBe('2026-11-30T03:00:00.000Z');
  });

  it('takes steps, ranges, lists and weekdays', () => {
    expect(next('*/15 * * * *')).toBe('2026-11-28T10:15:00.000Z');
    expect(next('30 2 * * 1')).toBe('2026-11-30T02:30:00.000Z'); // the coming Monday
    expect(next('0 9-17/4 * * 1-5')).toBe('2026-11-30T09:00:00.000Z'); // weekdays only
    expect(next('0 0 * * 7')).toBe('2026-11-29T00:00:00.000Z'); // 7 is Sunday too
    expect(next('5,50 10 * * *')).toBe('2026-11-28T10:50:00.000Z');
  });

  it('crosses months and years, and reads both day fields as either', () => {
    expect(next('0 0 1 * *')).toBe('2026-12-01T00:00:00.000Z');
    expect(next('0 0 1 1 *')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('0 0 29 2 *')).toBe('2028-02-29T00:00:00.000Z'); // the next leap day
    // Day 1 of the month or any Sunday: Sunday 29 November comes first.
    expect(next('0 12 1 * 0')).toBe('2026-11-29T12:00:00.000Z');
  });

  it('refuses malformed expressions with the config error code', () => {
    for (const bad of ['61 * * * *', '* * *', '0 3 * * * *', 'a * * * *', '5-1 * * * *', '*/0 * * * *']) {
      expect(() => new CronSchedule(bad)).toThrow(expect.objectContaining({ code: 'FC_ERR_CONFIG' }));
    }
  });
});
