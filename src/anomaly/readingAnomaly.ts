import { PEAK_DAYS, SEASON_SLOTS, Stat } from '../engine/streamStats.ts';
import { normalTwoSidedTail } from '../util/normalTail.ts';

/**
 * How unusual one reading is, from the stream's one-step forecast made before it
 * arrived and the stream's own recent history; runs per reading in the engine's
 * scatter loop, so it allocates nothing and keeps its state in the stream's row.
 *
 * - `score` ∈ [0, 1): how improbable the reading was under the forecast
 *   distribution, 1 − P(|Z| ≥ |x − μ| / σ).
 * - `likelihood` ∈ [0, 1): r / (1 + r), where r compares the reading with the
 *   stream's own recent past, so a noisy stream does not page all day:
 *   · the recent mean forecast error (|x − μ| averaged over ~ERR_MEMORY readings,
 *     this one included) over the largest such mean of the last PEAK_DAYS days
 *     (UTC days of the readings' time: the current day's largest so far and the
 *     largest of each of the 6 days before): r ≥ 1, so likelihood ≥ 0.5, when
 *     the stream's forecasts have lately been worse than at any time in the past
 *     week. A mean rather than the single error: a level shift that persists,
 *     a change of variance or of the daily pattern makes many moderate errors in a
 *     row, which no single one of them shows; a large spike still moves the mean
 *     past the week's largest at once. On NAB this raised the standard score from
 *     46.6 (single errors) to 53.0. Measured there too, an error ranks anomalies
 *     better than σ-scaled surprise, whose calibration varies between streams.
 *     The past week, not a maximum that fades: a fading maximum falls a little
 *     every reading, so an ordinary error passes it again sooner or later (on
 *     heavy-tailed streams, every few days), and one fading over readings is a
 *     day on one stream and a month on another. A week is the same on every
 *     stream, holds the weekly cycle, and lets a large incident stop masking the
 *     next one after a week. On NAB this, with the default alert opening at
 *     likelihood 0.53 instead of 0.565, raised the standard score from 65.9 (a
 *     maximum halving every 1,000 readings) to 71.2 (README);
 * - `flat` ≥ 0: a stuck sensor, apart from the likelihood (it raises its own
 *   alert): the run of readings equal to the one before, over the longest run the
 *   stream ended lately (fading by half every FLAT_HALF_LIFE readings, or over 4 such runs when they
 *   are longer than FLAT_HALF_LIFE / 4) and over MIN_FLAT_RUN at least; 0 when the reading differs from the one before. A sensor that never
 *   repeats reaches 1.3 at its 11th identical reading; one that often sits still
 *   only when it sits still longer than lately. Until session 9 the run was part of
 *   the likelihood, weighed by the stream's share of repeats, which the run itself
 *   raised: it never passed ~0.55, so no stuck sensor alerted; in the likelihood,
 *   a run that can alert cost NAB 9–13 points (flat stretches there are not labelled).
 *
 * The likelihood takes the larger of two such ratios: the one-step forecast's,
 * above, and the weekly profile's, the same comparison made with the seasonal
 * error |x − p|, p being what the reading's hour of the week (UTC) looked like
 * when last seen: each of the 168 hours of the week keeps the readings that fell
 * in it, the latest weighing most (an EWMA in time with constant SEASON_TAU_MS,
 * each reading weighing by the time since the one before, at most an hour),
 * so the first readings of an hour are compared with the same hour a week
 * before, later ones more and more with this hour's own. The one-step forecast
 * follows the readings closely and cannot see a day whose usual pattern did not
 * happen (no morning rise, a holiday); the profile can. On NAB this raised the
 * standard score from 53.0 to 66 (README). Both ratios have a floor under their
 * past week's largest, ERR_FLOOR times the stream's slow σ, so that a stream whose forecasts
 * are all but perfect (a noiseless daily cycle) is not alerted by a minute error.
 */
/** Readings over which the longest recent run of repeats fades by half (`flat`). */
export const FLAT_HALF_LIFE = 1000;
/** Readings the recent mean error remembers (its EWMA weight is 1/ERR_MEMORY). */
export const ERR_MEMORY = 16;
/** Readings before the error comparison speaks (the past week's largest needs a few). */
export const ANOMALY_WARMUP = 100;
/** The run of repeats that counts as 1 on a stream that ended no longer run lately. */
export const MIN_FLAT_RUN = 8;
/** Time constant of each weekly-profile slot's EWMA, ms: within an hour, the readings of the last ~hour weigh most. */
export const SEASON_TAU_MS = 3_600_000;
/** The floor under both ratios' past-week largest, in slow σ of the stream's readings. */
export const ERR_FLOOR = 0.05;
const FLAT_DECAY = 0.5 ** (1 / FLAT_HALF_LIFE);
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** 1970-01-01 was a Thursday: this offset puts Monday 00:00 UTC in slot 0. */
const MONDAY_OFFSET_MS = 3 * 24 * HOUR_MS;

/** The weekly-profile slot of time `ts` (epoch ms): its hour of the week, UTC, Monday 00:00 = 0. */
export function seasonSlot(ts: number): number {
  // Hours since a Monday fit an int32 for ±245,000 years, so the remainder is an integer one (a double's is a call).
  const slot = Math.floor((ts + MONDAY_OFFSET_MS) / HOUR_MS) % SEASON_SLOTS;
  return slot < 0 ? slot + SEASON_SLOTS : slot;
}

/**
 * Scores reading (`ts`, `value`) of the stream whose row starts at `o` and weekly
 * profile at `profile[po]`, before the reading is taken into the row; updates the
 * row's anomaly fields and the profile's slot. Writes the
 * score, likelihood and flat run to `score[row]`, `likelihood[row]` and `flat[row]`.
 */
export function scoreReading(stats: Float64Array, o: number, profile: Float32Array, po: number, ts: number, value: number, score: Float64Array, likelihood: Float64Array, flat: Float64Array, row: number): void {
  const mu = stats[o + Stat.PRIOR_MEAN];
  const sigma = stats[o + Stat.PRIOR_SCALE];
  const last = stats[o + Stat.LAST_VALUE];
  const speaks = stats[o + Stat.COUNT] > ANOMALY_WARMUP;
  const lastTs = stats[o + Stat.LAST_TS];
  // A reading on a later day than the one before moves the days' peaks along (the first reading: -Infinity, all of them).
  const days = Math.floor(ts / DAY_MS) - Math.floor(lastTs / DAY_MS);
  if (days > 0) {
    passDays(stats, o + Stat.ERR_PEAK, o + Stat.ERR_PEAK_PAST, days);
    passDays(stats, o + Stat.SEASON_PEAK, o + Stat.SEASON_PEAK_PAST, days);
  }
  const floor = ERR_FLOOR * Math.sqrt(stats[o + Stat.LONG_VAR]);
  let r = 0;
  if (Number.isNaN(mu)) {
    score[row] = 0;
  } else {
    const err = Math.abs(value - mu);
    score[row] = sigma > 0 ? 1 - normalTwoSidedTail(err / sigma) : err > 0 ? 1 : 0;
    r = errorRatio(stats, o + Stat.ERR_MEAN, o + Stat.ERR_PEAK, o + Stat.ERR_PEAK_PAST, err, speaks, floor);
  }
  const p = po + seasonSlot(ts);
  const seen = profile[p];
  if (Number.isNaN(seen)) {
    profile[p] = value;
  } else {
    r = Math.max(r, errorRatio(stats, o + Stat.SEASON_ERR_MEAN, o + Stat.SEASON_PEAK, o + Stat.SEASON_PEAK_PAST, Math.abs(value - seen), speaks, floor));
    // Each reading weighs by the time it covers, since the one before (finite: a slot is seen only after a
    // first reading), at most the slot's hour.
    const dt = Math.min(Math.max(ts - lastTs, 0), HOUR_MS);
    profile[p] = seen + (1 - Math.exp(-dt / SEASON_TAU_MS)) * (value - seen);
  }
  flat[row] = 0;
  if (!Number.isNaN(last)) {
    const previous = stats[o + Stat.FLAT_RUN];
    const run = value === last ? previous + 1 : 0;
    // Runs count in the stream's past once they end: the run in progress is measured against them. The
    // past fades over FLAT_HALF_LIFE readings, or over 4 of its longest runs when those are longer: a
    // status that sits still for thousands of readings at a time is measured against runs like its own.
    const before = stats[o + Stat.FLAT_MAX_RUN];
    let longest = before * (4 * before > FLAT_HALF_LIFE ? 0.5 ** (1 / (4 * before)) : FLAT_DECAY);
    if (run === 0 && previous > 0) longest = Math.max(longest, previous);
    if (run > 0) flat[row] = run / Math.max(longest, MIN_FLAT_RUN);
    stats[o + Stat.FLAT_RUN] = run;
    stats[o + Stat.FLAT_MAX_RUN] = longest;
  }
  likelihood[row] = r / (1 + r);
}

/**
 * Takes error `err` into the recent mean at `meanAt` and returns that mean over
 * the largest mean of the past PEAK_DAYS days: the current day's at `peakAt` and
 * the days' before it from `pastAt` (floored at `floor`; 0 until the stream
 * `speaks` and has a past), then takes the mean into the current day's peak.
 */
function errorRatio(stats: Float64Array, meanAt: number, peakAt: number, pastAt: number, err: number, speaks: boolean, floor: number): number {
  const mean = stats[meanAt] + (err - stats[meanAt]) / ERR_MEMORY;
  stats[meanAt] = mean;
  const max = weekPeak(stats, peakAt, pastAt);
  if (mean > stats[peakAt]) stats[peakAt] = mean;
  const den = Math.max(max, floor);
  return speaks && den > 0 && max > 0 ? mean / den : 0;
}

/**
 * Moves the peaks at `peakAt` (the current day) and `pastAt` (the days before,
 * latest first) on by `days` days: the current day's becomes the day before's,
 * and so on, the oldest dropping out. A stream silent for PEAK_DAYS days or more
 * keeps the largest of them as the new day's: after an outage it is compared
 * with the last week it had, not with nothing.
 */
function passDays(stats: Float64Array, peakAt: number, pastAt: number, days: number): void {
  const past = PEAK_DAYS - 1;
  if (days >= PEAK_DAYS) {
    stats[peakAt] = weekPeak(stats, peakAt, pastAt);
    stats.fill(0, pastAt, pastAt + past);
    return;
  }
  // Day d before the new one is day d − days before the old one (the old current day at d = days − 1).
  for (let d = past - 1; d >= days; d--) stats[pastAt + d] = stats[pastAt + d - days];
  stats[pastAt + days - 1] = stats[peakAt];
  stats.fill(0, pastAt, pastAt + days - 1);
  stats[peakAt] = 0;
}

/** The largest of the past PEAK_DAYS days' peaks: the current day's at `peakAt`, the days' before it from `pastAt`. */
function weekPeak(stats: Float64Array, peakAt: number, pastAt: number): number {
  let max = stats[peakAt];
  for (let d = 0; d < PEAK_DAYS - 1; d++) max = Math.max(max, stats[pastAt + d]);
  return max;
}
