import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULE } from '../../src/anomaly/alertConfig.ts';
import {
  ANOMALY_WARMUP,
  ERR_FLOOR,
  ERR_MEMORY,
  FLAT_HALF_LIFE,
  MIN_FLAT_RUN,
  SEASON_TAU_MS,
  scoreReading,
  seasonSlot,
} from '../../src/anomaly/readingAnomaly.ts';
import { initStats, PEAK_DAYS, SEASON_SLOTS, Stat, STAT_COUNT } from '../../src/engine/streamStats.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The default alert rule's threshold on the likelihood. */
const OPEN = DEFAULT_ALERT_RULE.open;
/** Monday 2026-12-07 00:00 UTC: hour 0 of the week. */
const MONDAY = Date.UTC(2026, 11, 7);

/** Each reading's flat run, as the last `feed` wrote it. */
let flats: number[] = [];
/** The stream's row after the last `feed`. */
let row = new Float64Array(0);

/**
 * Feeds (value, prior mean, prior scale) readings through one stream row, reading i at `ts(i)`, with the slow
 * variance held at `longVar`; returns [score, likelihood] per reading (flat runs in `flats`).
 */
function feed(readings: [number, number, number][], ts: (i: number) => number = (i) => MONDAY + i * 1000, longVar = 0): [number, number][] {
  flats = [];
  const stats = new Float64Array(STAT_COUNT);
  row = stats;
  initStats(stats, 0);
  const profile = new Float32Array(SEASON_SLOTS).fill(Number.NaN);
  const score = new Float64Array(1);
  const likelihood = new Float64Array(1);
  const flat = new Float64Array(1);
  return readings.map(([value, mean, scale], i) => {
    stats[Stat.LONG_VAR] = longVar;
    scoreReading(stats, 0, profile, 0, ts(i), value, score, likelihood, flat, 0);
    flats.push(flat[0]);
    // What the engine does after scoring: take the reading, then forecast the next one.
    stats[Stat.COUNT]++;
    stats[Stat.LAST_TS] = ts(i);
    stats[Stat.LAST_VALUE] = value;
    stats[Stat.PRIOR_MEAN] = mean;
    stats[Stat.PRIOR_SCALE] = scale;
    return [score[0], likelihood[0]];
  });
}

describe('reading anomaly score and likelihood', () => {
  it('scores the improbability of the reading under the forecast made before it', () => {
    // Prior N(0, 2) for the second reading, which is 2·Φ⁻¹(0.975) away, so 1 − P(|Z| ≥ |z|) = 0.95
    // (the tail is a fit with relative error below 1.2e-7).
    const z = 1.959963984540054;
    const [, [score]] = feed([[0, 0, 2], [2 * z, 0, 2]]);
    expect(score).toBeCloseTo(0.95, 6);
  });

  it('compares the recent mean error with the largest recent mean of the past week', () => {
    // Errors of 1 (prior mean 0, values alternating ±1) past the warm-up, then a spike of 30 and a lasting shift to 4.
    const n = ANOMALY_WARMUP + 50;
    const rows: [number, number, number][] = [[0, 0, 1]];
    for (let i = 0; i < n; i++) {
      const v = i === n - 40 ? 30 : i >= n - 20 ? 4 : i % 2 === 0 ? 1 : -1;
      rows.push([v, 0, 1]);
    }
    const ts = (i: number) => MONDAY + i * 20 * 60_000;
    const got = feed(rows, ts).map(([, l]) => l);
    const want = reference(rows, ts, 0);
    got.forEach((l, i) => expect(l).toBeCloseTo(want.likelihood[i], 12));
    // Every 20 minutes, so no hour of the week comes round twice: the seasonal errors are within the hour, and
    // the one-step ratio (prior mean 0: the error is |value|) is the one that speaks.
    got.forEach((l, i) => expect(l).toBeCloseTo(Math.max(want.oneStep[i], want.seasonal[i]), 12));
    // The spike beats the recent maximum at once; so does the shift, a few readings in, while no single error of it
    // (4) beats the spike's (30).
    expect(want.oneStep[n + 1 - 40]).toBeGreaterThan(0.5);
    expect(got[n + 1 - 40]).toBeGreaterThan(0.5);
    expect(got.slice(n + 1 - 20).some((l) => l > 0.5)).toBe(true);
    // While errors stay at their usual size, the mean stays at about its recent maximum: r ≈ 1, likelihood ≈ 0.5.
    expect(Math.max(...want.oneStep.slice(ANOMALY_WARMUP + 1, n + 1 - 40))).toBeLessThan(0.501);
  });

  it('lets a large error mask a smaller one for a week, and no longer', () => {
    // Hourly errors of 1 (prior mean 0, values ±1), a spike of 30 on day 2, then one of 10 on day `day`: the second
    // raises the recent mean to about 1.6, a third above the usual 1 and half the first spike's 2.8.
    const run = (day: number) => {
      const rows: [number, number, number][] = [];
      for (let i = 0; i < 24 * (day + 2); i++) {
        const v = i === 2 * 24 + 5 ? 30 : i === day * 24 + 5 ? 10 : 1;
        rows.push([i % 2 === 0 ? v : -v, 0, 1]);
      }
      const ts = (i: number) => MONDAY + i * HOUR;
      const got = feed(rows, ts, 1).map(([, l]) => l);
      const want = reference(rows, ts, 1);
      got.forEach((l, i) => expect(l).toBeCloseTo(want.likelihood[i], 12));
      return { got, oneStep: want.oneStep, at: day * 24 + 5 };
    };
    // Within the first spike's week the second stays below the default alert…
    const masked = run(2 + PEAK_DAYS - 1);
    expect(Math.max(...masked.got.slice(masked.at, masked.at + 24))).toBeLessThan(OPEN);
    // …and once the first spike's days have left the past PEAK_DAYS days (its mean, fading, is still 1.5 the day
    // after it), the same spike alerts: one-step ratio ~1.6 / 1.1.
    const seen = run(2 + PEAK_DAYS + 1);
    expect(seen.oneStep[seen.at]).toBeGreaterThan(0.57);
    expect(seen.got[seen.at]).toBeGreaterThan(OPEN);
  });

  it('after a silence of a week or more, compares with the last week the stream had', () => {
    // Errors of 1 every 10 minutes for 3 days with a spike on the last, silence for 10 days, then errors of 1 again.
    const rows: [number, number, number][] = [];
    for (let i = 0; i < 3 * 144 + 50; i++) {
      const v = i === 3 * 144 - 20 ? 30 : 1;
      rows.push([i % 2 === 0 ? v : -v, 0, 1]);
    }
    const ts = (i: number) => MONDAY + i * 600_000 + (i >= 3 * 144 ? 10 * DAY : 0);
    const got = feed(rows.slice(0, 3 * 144 + 1), ts, 1);
    const want = reference(rows, ts, 1);
    // The first reading after the silence: its day's peak is the largest of the 3 days before it (the spike's
    // mean), taken in before the reading's own (smaller) mean.
    expect(row[Stat.ERR_PEAK]).toBeCloseTo(Math.max(...want.means.slice(0, 3 * 144)), 12);
    expect(row[Stat.ERR_PEAK_PAST]).toBe(0);
    expect(got[3 * 144][1]).toBeCloseTo(want.likelihood[3 * 144], 12);
    feed(rows, ts, 1).forEach(([, l], i) => expect(l).toBeCloseTo(want.likelihood[i], 12));
  });

  it('puts each reading in its hour of the week, UTC, Monday 00:00 first', () => {
    expect(seasonSlot(MONDAY)).toBe(0);
    expect(seasonSlot(MONDAY - 1)).toBe(167); // Sunday 23:59:59.999
    expect(seasonSlot(Date.UTC(2026, 11, 9, 14, 10))).toBe(2 * 24 + 14); // Wednesday 14:10
    expect(seasonSlot(Date.UTC(1969, 11, 29, 5))).toBe(5); // a Monday before the epoch
  });

  it('compares each reading with its hour of the week as last seen, and alerts on a day whose usual rise did not come', () => {
    // Hourly readings, 4 weeks: 10 from 08:00 to 17:59 UTC every day, 0 otherwise, plus a small wobble; the forecast is
    // the reading before (persistence). On day 24 (week 4, Wednesday) the rise does not come.
    const day = 24 * 7 * 3 + 24 * 2;
    const rows: [number, number, number][] = [];
    const values: number[] = [];
    for (let i = 0; i < 24 * 28; i++) {
      const hour = i % 24;
      const risen = hour >= 8 && hour < 18 && (i < day || i >= day + 24);
      values.push((risen ? 10 : 0) + 0.5 * Math.sin(i * 1.7));
    }
    values.forEach((v, i) => rows.push([v, i === 0 ? Number.NaN : values[i - 1], 1]));
    const ts = (i: number) => MONDAY + i * HOUR;
    // The first reading has no forecast: the reference skips its one-step error, as the engine does (NaN prior).
    const got = feed(rows, ts, 1).map(([, l]) => l);
    const want = reference(rows, ts, 1);
    got.forEach((l, i) => expect(l).toBeCloseTo(want.likelihood[i], 12));
    const open = OPEN;
    // The day without its rise: the one-step errors are smaller than on any day (no jump up or down), so that ratio
    // says nothing; the weekly profile expected 10 from 08:00, and its ratio passes the default alert within hours.
    expect(Math.max(...want.oneStep.slice(day, day + 24))).toBeLessThan(open);
    const first = got.findIndex((l, i) => i >= day && l >= open) - day;
    expect(first).toBeGreaterThanOrEqual(8);
    expect(first).toBeLessThan(12);
    // Ordinary days of weeks 2 to 4, once the profile has seen a week, stay below it.
    expect(Math.max(...got.slice(24 * 8, day))).toBeLessThan(open);
  });

  it('does not alert on errors below ERR_FLOOR of the slow σ, however they compare with the recent past', () => {
    // Forecasts right to 1e-9 for the warm-up, then off by 1e-3: a thousandfold jump, but 1e-3 σ (slow σ 1).
    const rows: [number, number, number][] = [];
    for (let i = 0; i < ANOMALY_WARMUP + 40; i++) rows.push([i > ANOMALY_WARMUP ? 1e-3 : i % 2 === 0 ? 1e-9 : -1e-9, 0, 1]);
    const quiet = feed(rows, (i) => MONDAY + i * 1000, 1).map(([, l]) => l);
    expect(Math.max(...quiet)).toBeLessThan(0.5);
    // With no slow σ (no floor), the same errors alert.
    const loud = feed(rows, (i) => MONDAY + i * 1000, 0).map(([, l]) => l);
    expect(Math.max(...loud)).toBeGreaterThan(0.9);
  });

  it('says nothing while the stream is young or has no forecast yet', () => {
    const out = feed([[5, 0, 1], [50, 0, 1], [500, 0, 1]]);
    expect(out.map(([, l]) => l)).toEqual([0, 0, 0]);
  });

  it('measures a run of repeats against the longest run the stream ended lately, MIN_FLAT_RUN at least, apart from the likelihood', () => {
    const rows: [number, number, number][] = [];
    // Each row's mean is the forecast of the next reading: always right, so only the repeats can speak.
    for (let i = 0; i < 300; i++) rows.push([Math.sin(i), i === 299 ? 7 : Math.sin(i + 1), 1]);
    for (let i = 0; i < 20; i++) rows.push([7, 7, 1]); // 7, then 19 repeats
    for (let i = 0; i < 10; i++) rows.push([Math.cos(i), i === 9 ? 5 : Math.cos(i + 1), 1]);
    for (let i = 0; i < 31; i++) rows.push([5, 5, 1]); // 5, then 30 repeats
    const likelihoods = feed(rows).map(([, l]) => l);
    // From the equations: k-th repeat of the first run against MIN_FLAT_RUN (no run ended before it).
    for (let k = 1; k < 20; k++) expect(flats[300 + k]).toBeCloseTo(k / MIN_FLAT_RUN, 12);
    // A reading that differs ends the run: 0, and the run of 19 is now the stream's past (decaying since it ended).
    expect(flats[320]).toBe(0);
    const decay = 0.5 ** (1 / FLAT_HALF_LIFE);
    for (let k = 1; k <= 30; k++) expect(flats[330 + k]).toBeCloseTo(k / (19 * decay ** (k + 10)), 12);
    // The run does not move the likelihood, which follows the forecast and seasonal errors only.
    const want = reference(rows, (i) => MONDAY + i * 1000, 0).likelihood;
    likelihoods.forEach((l, i) => expect(l).toBeCloseTo(want[i], 12));
    // The one-step forecast is right up to the run's end, so what speaks at the jump to 7 is the seasonal error.
    expect(Math.max(...reference(rows, (i) => MONDAY + i * 1000, 0).oneStep.slice(0, 320))).toBe(0);
    expect(Math.max(...likelihoods.slice(300, 320))).toBeGreaterThan(0.5);
    // A stream that never stops repeating has no ended run to compare with: its run grows against MIN_FLAT_RUN.
    feed(Array.from({ length: 40 }, () => [3, 3, 1]));
    expect(flats[39]).toBeCloseTo(39 / MIN_FLAT_RUN, 12);
  });

  it('measures a status that sits still for thousands of readings against runs of its own length', () => {
    // Runs of 3,000 readings of 0 and 1 in turn, then a run of 6,000: the fading follows 4 longest runs (12,000 readings).
    const rows: [number, number, number][] = [];
    const runs = [3000, 3000, 3000, 3000, 6000];
    runs.forEach((n, k) => {
      for (let i = 0; i < n; i++) rows.push([k % 2, k % 2, 1]);
    });
    feed(rows);
    const open = DEFAULT_ALERT_RULE.stuck;
    const level = flats.map((x) => x / (1 + x));
    // The second to fourth runs (each measured against the ones before) stay below the default stuck-sensor alert; the long one passes it.
    expect(Math.max(...level.slice(3000, 12000))).toBeLessThan(open);
    const first = level.findIndex((l, i) => i >= 12000 && l >= open) - 12000;
    // From the equations: the run that ended as the long one began had 2,999 repeats (3,000 readings), the longest so far;
    // each reading fades it by 0.5^(1 / (4 · longest)) (longer than FLAT_HALF_LIFE / 4), and the k-th repeat is k / longest.
    let longest = 2999;
    let expected = -1;
    for (let k = 1; expected < 0; k++) {
      longest *= 0.5 ** (1 / Math.max(FLAT_HALF_LIFE, 4 * longest));
      if (k / longest / (1 + k / longest) >= open) expected = k;
    }
    expect(first).toBe(expected);
    expect(first).toBeGreaterThan(3000);
  });
});

/**
 * The likelihoods the documented equations give, for rows fed as `feed` does (slow variance `longVar`), written
 * from readingAnomaly.ts's description, not its code: each ratio is m / max(M, ERR_FLOOR · √longVar) with
 * m ← m + (e − m) / ERR_MEMORY and M the largest m of the readings of the last PEAK_DAYS UTC days (this one's
 * day and the 6 before), this reading's excluded (0 until M > 0 and the warm-up is past); after a silence of
 * PEAK_DAYS days or more, the largest m of the last such week before it counts as the new day's. The seasonal
 * error is |x − p| with p the hour of the week's value, set by the hour's first reading and then
 * p ← p + (1 − e^(−Δt/τ))(x − p), Δt the time since the reading before (≤ 1 h), p held as float32.
 * `means` holds each reading's one-step m.
 */
function reference(rows: readonly [number, number, number][], ts: (i: number) => number, longVar: number) {
  const floor = ERR_FLOOR * Math.sqrt(longVar);
  const ratio = (means?: number[]) => {
    let m = 0;
    /** The largest m of each day (epoch day number) a reading fell on. */
    const peaks = new Map<number, number>();
    let lastDay = Number.NaN;
    return (e: number, speaks: boolean, t: number): number => {
      const day = Math.floor(t / DAY);
      const week = (d: number) => Math.max(0, ...[...peaks].filter(([k]) => k > d - PEAK_DAYS && k <= d).map(([, v]) => v));
      if (day - lastDay >= PEAK_DAYS) peaks.set(day, week(lastDay));
      lastDay = day;
      m += (e - m) / ERR_MEMORY;
      means?.push(m);
      const max = week(day);
      peaks.set(day, Math.max(peaks.get(day) ?? 0, m));
      return speaks && max > 0 ? m / Math.max(max, floor) : 0;
    };
  };
  const means: number[] = [];
  const oneStepRatio = ratio(means);
  const seasonalRatio = ratio();
  const profile = new Map<number, number>();
  const oneStep: number[] = [];
  const seasonal: number[] = [];
  const likelihood: number[] = [];
  let prior = Number.NaN;
  rows.forEach(([x, mean], i) => {
    const speaks = i > ANOMALY_WARMUP;
    const r1 = Number.isNaN(prior) ? 0 : oneStepRatio(Math.abs(x - prior), speaks, ts(i));
    const slot = Math.floor((ts(i) - MONDAY) / HOUR) % 168;
    const p = profile.get(slot);
    let rs = 0;
    if (p === undefined) profile.set(slot, Math.fround(x));
    else {
      rs = seasonalRatio(Math.abs(x - p), speaks, ts(i));
      const dt = Math.min(ts(i) - ts(i - 1), HOUR);
      profile.set(slot, Math.fround(p + (1 - Math.exp(-dt / SEASON_TAU_MS)) * (x - p)));
    }
    oneStep.push(r1 / (1 + r1));
    seasonal.push(rs / (1 + rs));
    likelihood.push(Math.max(r1, rs) / (1 + Math.max(r1, rs)));
    prior = mean;
  });
  return { oneStep, seasonal, likelihood, means };
}
