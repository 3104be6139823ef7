import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, takeReading } from '../../src/engine/features.ts';
import { initStats, STAT_COUNT } from '../../src/engine/streamStats.ts';

/** Hour-of-day and day-of-week phases from the calendar (UTC; the week starts Monday 00:00). */
function expectedCalendar(ts: number): number[] {
  const d = new Date(ts);
  const msOfDay = ((d.getUTCHours() * 60 + d.getUTCMinutes()) * 60 + d.getUTCSeconds()) * 1000 + d.getUTCMilliseconds();
  const dayOfWeek = (d.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const day = (2 * Math.PI * msOfDay) / 86_400_000;
  const week = (2 * Math.PI * (dayOfWeek * 86_400_000 + msOfDay)) / (7 * 86_400_000);
  return [Math.sin(day), Math.cos(day), Math.sin(week), Math.cos(week)];
}

describe('features', () => {
  it('gives each reading the calendar of its own timestamp, whether the timestamps repeat or change', () => {
    const monday = Date.UTC(2026, 10, 23); // Monday 23 November 2026, 00:00 UTC
    const stamps = [
      monday,
      monday,
      monday + 6 * 3_600_000 + 1,
      monday,
      Date.UTC(2026, 10, 28, 18, 30), // Saturday evening
      Date.UTC(2026, 10, 28, 18, 30),
      Date.UTC(2026, 10, 29, 23, 59, 59, 999), // the last millisecond of Sunday
      Date.UTC(2026, 10, 30, 12), // Monday noon
      Date.UTC(1970, 0, 1, 0, 0, 0, 1),
      monday + 6 * 3_600_000 + 1,
    ];
    const x = new Float32Array(FEATURE_COUNT);
    for (const ts of stamps) {
      // A fresh stream for each, so the order check of a stream's own readings does not apply.
      const stats = new Float64Array(STAT_COUNT);
      initStats(stats, 0);
      takeReading(stats, 0, ts, 1, x, 0);
      const want = expectedCalendar(ts);
      for (let k = 0; k < 4; k++) expect(Math.abs(x[3 + k] - want[k])).toBeLessThan(1e-6);
    }
  });
});
