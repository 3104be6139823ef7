import { Stat } from '../engine/streamStats.ts';
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
 *     this one included) over the largest such mean of the recent past (a running
 *     maximum that halves every RESID_HALF_LIFE readings): r ≥ 1, so likelihood ≥
 *     0.5, when the stream's forecasts have lately been worse than at any time
 *     recently. A mean rather than the single error: a level shift that persists,
 *     a change of variance or of the daily pattern makes many moderate errors in a
 *     row, which no single one of them shows; a large spike still moves the mean
 *     past its recent maximum at once. On NAB this raised the standard score from
 *     46.6 (single errors) to 53.0; memories of 12 to 25 readings and half-lives
 *     of 700 to 1,400 all scored above single errors. Measured there too, an
 *     error ranks anomalies better than σ-scaled surprise, whose calibration varies
 *     between streams;
 * - `flat` ≥ 0: a stuck sensor, apart from the likelihood (it raises its own
 *   alert): the run of readings equal to the one before, over the longest run the
 *   stream ended lately (fading like the error maximum, or over 4 such runs when they
 *   are longer than RESID_HALF_LIFE / 4) and over MIN_FLAT_RUN at least; 0 when the reading differs from the one before. A sensor that never
 *   repeats reaches 1.3 at its 11th identical reading; one that often sits still
 *   only when it sits still longer than lately. Until session 9 the run was part of
 *   the likelihood, weighed by the stream's share of repeats, which the run itself
 *   raised: it never passed ~0.55, so no stuck sensor alerted; in the likelihood,
 *   a run that can alert cost NAB 9–13 points (flat stretches there are not labelled).
 */
export const RESID_HALF_LIFE = 1000;
/** Readings the recent mean error remembers (its EWMA weight is 1/ERR_MEMORY). */
export const ERR_MEMORY = 16;
/** Readings before the error comparison speaks (its running maximum needs a few). */
export const ANOMALY_WARMUP = 100;
/** The run of repeats that counts as 1 on a stream that ended no longer run lately. */
export const MIN_FLAT_RUN = 8;
const RESID_DECAY = 0.5 ** (1 / RESID_HALF_LIFE);

/**
 * Scores reading `value` of the stream whose row starts at `o`, before the
 * reading is taken into the row; updates the row's anomaly fields. Writes the
 * score, likelihood and flat run to `score[row]`, `likelihood[row]` and `flat[row]`.
 */
export function scoreReading(stats: Float64Array, o: number, value: number, score: Float64Array, likelihood: Float64Array, flat: Float64Array, row: number): void {
  const mu = stats[o + Stat.PRIOR_MEAN];
  const sigma = stats[o + Stat.PRIOR_SCALE];
  const last = stats[o + Stat.LAST_VALUE];
  let r = 0;
  if (Number.isNaN(mu)) {
    score[row] = 0;
  } else {
    const err = Math.abs(value - mu);
    score[row] = sigma > 0 ? 1 - normalTwoSidedTail(err / sigma) : err > 0 ? 1 : 0;
    const mean = stats[o + Stat.ERR_MEAN] + (err - stats[o + Stat.ERR_MEAN]) / ERR_MEMORY;
    stats[o + Stat.ERR_MEAN] = mean;
    const max = stats[o + Stat.RESID_MAX];
    if (stats[o + Stat.COUNT] > ANOMALY_WARMUP && max > 0) r = mean / max;
    stats[o + Stat.RESID_MAX] = Math.max(mean, max * RESID_DECAY);
  }
  flat[row] = 0;
  if (!Number.isNaN(last)) {
    const previous = stats[o + Stat.FLAT_RUN];
    const run = value === last ? previous + 1 : 0;
    // Runs count in the stream's past once they end: the run in progress is measured against them. The
    // past fades over RESID_HALF_LIFE readings, or over 4 of its longest runs when those are longer: a
    // status that sits still for thousands of readings at a time is measured against runs like its own.
    const before = stats[o + Stat.FLAT_MAX_RUN];
    let longest = before * (4 * before > RESID_HALF_LIFE ? 0.5 ** (1 / (4 * before)) : RESID_DECAY);
    if (run === 0 && previous > 0) longest = Math.max(longest, previous);
    if (run > 0) flat[row] = run / Math.max(longest, MIN_FLAT_RUN);
    stats[o + Stat.FLAT_RUN] = run;
    stats[o + Stat.FLAT_MAX_RUN] = longest;
  }
  likelihood[row] = r / (1 + r);
}
