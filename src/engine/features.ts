import { Stat } from './streamStats.ts';
import { momentScale, updateMoments } from './normaliser.ts';

/**
 * The inputs of one step (feature set "v1"), computed from a reading and its
 * stream's scalar state. The same function feeds training and serving, so
 * the two can never disagree.
 *
 *   0  z: the reading, normalised by the stream's moments after taking it in, clipped to ±Z_CLIP
 *   1  gap: log(Δt / typical Δt), clipped to ±5 (0 for a stream's first reading)
 *   2  cadence: log1p(Δt in seconds) / 10, the absolute sampling interval
 *   3  sin, 4 cos of the hour of day (UTC)
 *   5  sin, 6 cos of the day of week (UTC)
 *   7  novelty: exp(−n / 20), high while the stream is young and its moments unsettled
 */
export const FEATURE_COUNT = 8;
export const Z_CLIP = 10;
const DT_SMOOTHING = 0.05;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const TWO_PI = 2 * Math.PI;

/**
 * Takes reading (`ts`, `value`) into the stream's row at `o` (moments, interval,
 * last timestamp and value) and writes its D features to `out` at `at`.
 * The caller has checked that `ts` is later than the row's last timestamp.
 */
export function takeReading(stats: Float64Array, o: number, ts: number, value: number, out: Float32Array, at: number): void {
  const lastTs = stats[o + Stat.LAST_TS];
  let gap = 0;
  let cadence = 0;
  if (lastTs !== -Infinity) {
    const dt = Math.max(ts - lastTs, 1);
    const logDt = Math.log(dt);
    const typical = stats[o + Stat.LOG_DT];
    if (Number.isNaN(typical)) {
      stats[o + Stat.LOG_DT] = logDt;
    } else {
      gap = clip(logDt - typical, 5);
      stats[o + Stat.LOG_DT] = typical + DT_SMOOTHING * clip(logDt - typical, 1);
    }
    cadence = Math.log1p(dt / 1000) / 10;
  }
  updateMoments(stats, o, value);
  stats[o + Stat.LAST_TS] = ts;
  stats[o + Stat.LAST_VALUE] = value;
  const z = (value - stats[o + Stat.MEAN]) / momentScale(stats, o);
  if (ts !== calendar.ts) setCalendar(ts);
  out[at] = clip(z, Z_CLIP);
  out[at + 1] = gap;
  out[at + 2] = cadence;
  out[at + 3] = calendar.daySin;
  out[at + 4] = calendar.dayCos;
  out[at + 5] = calendar.weekSin;
  out[at + 6] = calendar.weekCos;
  out[at + 7] = Math.exp(-stats[o + Stat.COUNT] / 20);
}

/**
 * The calendar features of the last timestamp seen (per thread): readings of a
 * tick often share one (sensors sampled on the second or minute), and four
 * trigonometric calls are a tenth of the features' cost.
 */
const calendar = { ts: Number.NaN, daySin: 0, dayCos: 1, weekSin: 0, weekCos: 1 };

function setCalendar(ts: number): void {
  const dayPhase = (TWO_PI * (((ts % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
  // 1970-01-01 was a Thursday; the offset puts Monday 00:00 at phase 0.
  const weekPhase = (TWO_PI * ((((ts + 3 * DAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS)) / WEEK_MS;
  calendar.ts = ts;
  calendar.daySin = Math.sin(dayPhase);
  calendar.dayCos = Math.cos(dayPhase);
  calendar.weekSin = Math.sin(weekPhase);
  calendar.weekCos = Math.cos(weekPhase);
}

/** The stream's typical interval between readings in ms (NaN before its second reading). */
export function typicalInterval(stats: Float64Array, o: number): number {
  return Math.exp(stats[o + Stat.LOG_DT]);
}

function clip(v: number, lim: number): number {
  return v > lim ? lim : v < -lim ? -lim : v;
}
