import { Rng } from '../util/rng.ts';

/** One generated series: timestamps (epoch ms) and values. */
export interface Series {
  readonly ts: Float64Array;
  readonly values: Float64Array;
}

const INTERVALS_MS = [10_000, 60_000, 300_000, 900_000, 3_600_000];
const DAY = 86_400_000;

/**
 * Reproducible sensor-like series for training the shipped model: levels over
 * many orders of magnitude, daily and weekly seasonality, trends, AR(1) and
 * random-walk noise of varied strength, level shifts, spikes, gaps and jittered
 * sampling. The same seed gives the same series.
 */
export function generateSeries(seed: number, length: number): Series {
  const rng = new Rng(seed);
  const interval = INTERVALS_MS[rng.int(0, INTERVALS_MS.length)];
  const scale = 10 ** rng.uniform(-2, 3);
  let level = scale * rng.uniform(-5, 20);
  const daily = rng.chance(0.7) ? scale * rng.uniform(0, 3) : 0;
  const weekly = rng.chance(0.3) ? scale * rng.uniform(0, 1.5) : 0;
  const harmonic = rng.uniform(0, 0.5);
  const phase = rng.uniform(0, 2 * Math.PI);
  const trend = rng.chance(0.3) ? (scale * rng.normal() * 0.5) / (DAY / interval) : 0;
  const phi = rng.uniform(0, 0.95);
  const noise = scale * 10 ** rng.uniform(-2, -0.3);
  const walk = rng.chance(0.25) ? scale * 10 ** rng.uniform(-2.5, -1) : 0;
  const shiftRate = rng.chance(0.5) ? rng.uniform(0, 0.003) : 0;
  const spikeRate = rng.chance(0.5) ? rng.uniform(0, 0.004) : 0;
  const gapRate = rng.chance(0.4) ? rng.uniform(0, 0.003) : 0;
  const jitter = rng.uniform(0, 0.1);
  const quantum = rng.chance(0.2) ? scale * 0.05 : 0;

  const ts = new Float64Array(length);
  const values = new Float64Array(length);
  let t = Date.UTC(2024, 0, 1) + rng.int(0, 365) * DAY + rng.int(0, 24) * 3_600_000;
  let ar = 0;
  for (let i = 0; i < length; i++) {
    t += interval * (1 + jitter * (rng.next() - 0.5));
    if (rng.chance(gapRate)) t += interval * rng.int(2, 50);
    if (rng.chance(shiftRate)) level += scale * rng.normal() * 3;
    level += trend + walk * rng.normal();
    ar = phi * ar + noise * rng.normal();
    const dayPhase = (2 * Math.PI * (t % DAY)) / DAY + phase;
    const weekPhase = (2 * Math.PI * (t % (7 * DAY))) / (7 * DAY);
    let v = level + daily * (Math.sin(dayPhase) + harmonic * Math.sin(2 * dayPhase)) + weekly * Math.sin(weekPhase) + ar;
    if (rng.chance(spikeRate)) v += scale * rng.normal() * 6;
    if (quantum > 0) v = Math.round(v / quantum) * quantum;
    ts[i] = Math.round(t);
    values[i] = v;
  }
  return { ts, values };
}
