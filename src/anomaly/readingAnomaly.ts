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
 *   · the forecast error |x − μ| over the largest error of the recent past (a
 *     running maximum that halves every RESID_HALF_LIFE readings): r ≥ 1, so
 *     likelihood ≥ 0.5, when this error beats everything recent. Measured on NAB,
 *     this ranks anomalies better than σ-scaled surprise, whose calibration varies
 *     between streams;
 *   · a stuck sensor: a run of n readings equal to the one before, when the
 *     stream seldom repeats (share q of repeats): n·(−ln q) / FLAT_NATS.
 *   The larger of the two counts.
 */
export const RESID_HALF_LIFE = 1000;
/** Readings before the error comparison speaks (its running maximum needs a few). */
export const ANOMALY_WARMUP = 100;
const FLAT_NATS = 30;
const FLAT_SMOOTHING = 0.01;
const RESID_DECAY = 0.5 ** (1 / RESID_HALF_LIFE);

/**
 * Scores reading `value` of the stream whose row starts at `o`, before the
 * reading is taken into the row; updates the row's anomaly fields. Writes the
 * score and likelihood to `score[row]` and `likelihood[row]`.
 */
export function scoreReading(stats: Float64Array, o: number, value: number, score: Float64Array, likelihood: Float64Array, row: number): void {
  const mu = stats[o + Stat.PRIOR_MEAN];
  const sigma = stats[o + Stat.PRIOR_SCALE];
  const last = stats[o + Stat.LAST_VALUE];
  let r = 0;
  if (Number.isNaN(mu)) {
    score[row] = 0;
  } else {
    const err = Math.abs(value - mu);
    score[row] = sigma > 0 ? 1 - normalTwoSidedTail(err / sigma) : err > 0 ? 1 : 0;
    const max = stats[o + Stat.RESID_MAX];
    if (stats[o + Stat.COUNT] > ANOMALY_WARMUP && max > 0) r = err / max;
    stats[o + Stat.RESID_MAX] = Math.max(err, max * RESID_DECAY);
  }
  if (!Number.isNaN(last)) {
    const same = value === last;
    const run = same ? stats[o + Stat.FLAT_RUN] + 1 : 0;
    const share = stats[o + Stat.FLAT_SHARE];
    if (run > 0) r = Math.max(r, (run * -Math.log(Math.max(share, 1e-4))) / FLAT_NATS);
    stats[o + Stat.FLAT_RUN] = run;
    stats[o + Stat.FLAT_SHARE] = share + FLAT_SMOOTHING * ((same ? 1 : 0) - share);
  }
  likelihood[row] = r / (1 + r);
}
