/**
 * Per-stream scalar state, one row of `STAT_COUNT` float64 values per slot in
 * the state table. Float64 because timestamps in epoch milliseconds and the
 * running moments of large-valued sensors need it.
 */
export const Stat = {
  /** Online mean of the readings. */
  MEAN: 0,
  /** Online variance of the readings. */
  VAR: 1,
  /** Readings taken into the state so far. */
  COUNT: 2,
  /** Timestamp (epoch ms) of the last reading taken; -Infinity before the first. */
  LAST_TS: 3,
  /** Smoothed log of the interval between readings, in milliseconds. */
  LOG_DT: 4,
  /** One-step-ahead forecast mean made after the last reading (raw units); NaN before any. */
  PRIOR_MEAN: 5,
  /** Its scale (raw units); NaN before any. */
  PRIOR_SCALE: 6,
  /** The last reading's value. */
  LAST_VALUE: 7,
  /** Anomaly: the largest recent-mean forecast error of the current day (UTC, the last reading's; raw units); 0 before any. Layouts before 6 held a decaying maximum here, which loads as the day's. */
  ERR_PEAK: 8,
  /** Anomaly: readings in a row equal to the one before. */
  FLAT_RUN: 9,
  /** Stuck sensor: the longest run of repeats the stream ended lately, decaying (layouts 2 and 3 held a share of repeats here; read as 0). */
  FLAT_MAX_RUN: 10,
  /** Slow variance of the readings (memory ~1/LONG_ALPHA readings, outliers not clipped): a floor under the fast σ. */
  LONG_VAR: 11,
  /** Anomaly: the recent mean of the one-step forecast error |x − μ| (an EWMA over ~ERR_MEMORY readings; raw units). */
  ERR_MEAN: 12,
  /** Anomaly: the recent mean of the seasonal error |x − the hour of the week's profile| (like ERR_MEAN; raw units). */
  SEASON_ERR_MEAN: 13,
  /** Anomaly: the largest recent-mean seasonal error of the current day, like ERR_PEAK (raw units). */
  SEASON_PEAK: 14,
  /** Anomaly: ERR_PEAK of each of the PEAK_DAYS − 1 days before the current one, the day before first (0: no reading that day). */
  ERR_PEAK_PAST: 15,
  /** Anomaly: SEASON_PEAK of each of the PEAK_DAYS − 1 days before the current one, like ERR_PEAK_PAST (so at ERR_PEAK_PAST + PEAK_DAYS − 1). */
  SEASON_PEAK_PAST: 21,
} as const;

/**
 * Days over which a stream's errors are compared (readingAnomaly.ts): the
 * current day's peak and those of the days before it, PEAK_DAYS in all.
 */
export const PEAK_DAYS = 7;
export const STAT_COUNT = Stat.SEASON_PEAK_PAST + PEAK_DAYS - 1;
/**
 * Hours in a week: the slots of a stream's weekly profile, kept beside its row (float32, NaN until
 * seen): what the readings of each hour of the week (UTC, Monday 00:00 first) looked like when it was
 * last seen (readingAnomaly.ts).
 */
export const SEASON_SLOTS = 168;
/** The row of layout 1 (before the anomaly fields); a layout-1 snapshot loads with fresh anomaly fields. */
export const STAT_COUNT_V1 = 8;
/** The row of layout 2 (before the slow variance); it loads with the slow variance started at the fast one. */
export const STAT_COUNT_V2 = 11;
/** The row of layout 3 (before the recent mean error); it loads with that mean at 0. */
export const STAT_COUNT_V3 = 12;
/** The row of layout 4 (before the weekly profile); it loads with fresh seasonal fields and profile. */
export const STAT_COUNT_V4 = 13;
/** The row of layout 5 (before the past days' peaks); it loads with its decaying maxima as the current day's peaks. */
export const STAT_COUNT_V5 = 15;

/** Writes a fresh stream's row. */
export function initStats(stats: Float64Array, offset: number): void {
  stats[offset + Stat.MEAN] = 0;
  stats[offset + Stat.VAR] = 0;
  stats[offset + Stat.COUNT] = 0;
  stats[offset + Stat.LAST_TS] = -Infinity;
  stats[offset + Stat.LOG_DT] = NaN;
  stats[offset + Stat.PRIOR_MEAN] = NaN;
  stats[offset + Stat.PRIOR_SCALE] = NaN;
  stats[offset + Stat.LAST_VALUE] = NaN;
  stats[offset + Stat.LONG_VAR] = 0;
  initAnomalyStats(stats, offset);
}

/** The anomaly fields of a fresh row (also of a row loaded from a layout-1 snapshot). */
export function initAnomalyStats(stats: Float64Array, offset: number): void {
  stats[offset + Stat.ERR_PEAK] = 0;
  stats[offset + Stat.ERR_MEAN] = 0;
  stats[offset + Stat.FLAT_RUN] = 0;
  stats[offset + Stat.FLAT_MAX_RUN] = 0;
  initSeasonStats(stats, offset);
}

/** A fresh stream's weekly profile at `offset`: no hour of the week seen yet (also of a state loaded from a layout before 5). */
export function initProfile(profile: Float32Array, offset: number): void {
  profile.fill(Number.NaN, offset, offset + SEASON_SLOTS);
}

/** The seasonal error's fields of a fresh row (also of a row loaded from a layout before 5). */
export function initSeasonStats(stats: Float64Array, offset: number): void {
  stats[offset + Stat.SEASON_ERR_MEAN] = 0;
  stats[offset + Stat.SEASON_PEAK] = 0;
  initPastPeaks(stats, offset);
}

/** No peaks on the days before the current one (also of a row loaded from a layout before 6). */
export function initPastPeaks(stats: Float64Array, offset: number): void {
  stats.fill(0, offset + Stat.ERR_PEAK_PAST, offset + Stat.ERR_PEAK_PAST + PEAK_DAYS - 1);
  stats.fill(0, offset + Stat.SEASON_PEAK_PAST, offset + Stat.SEASON_PEAK_PAST + PEAK_DAYS - 1);
}
