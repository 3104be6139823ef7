/**
 * The Numenta Anomaly Benchmark's scoring, as published (see the NAB paper and
 * `../shared/data/README.md`): per-row anomaly scores of every file, one
 * threshold swept over the whole corpus per profile, windows rewarded for the
 * first detection by how early it came, detections outside windows costed by
 * their distance from the previous window, and the total normalised between the
 * null detector (0) and the perfect one (100).
 */

export interface NabProfile {
  readonly name: 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

export const NAB_PROFILES: readonly NabProfile[] = [
  { name: 'standard', tp: 1, fp: 0.11, fn: 1 },
  { name: 'reward_low_FP_rate', tp: 1, fp: 0.22, fn: 1 },
  { name: 'reward_low_FN_rate', tp: 1, fp: 0.11, fn: 2 },
];

/** One file to score: a score per row, and its anomaly windows as inclusive row ranges, in order. */
export interface NabScoredFile {
  readonly name: string;
  readonly scores: ArrayLike<number>;
  readonly windows: readonly (readonly [number, number])[];
}

export interface NabResult {
  readonly profile: NabProfile['name'];
  /** Normalised: 0 for the null detector, 100 for the perfect one. */
  readonly score: number;
  readonly threshold: number;
  readonly raw: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

/** f(y) = 2σ(−5y) − 1, and −1 past y = 3. */
export function scaledSigmoid(y: number): number {
  return y > 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
}

/** Rows at the start of a file that are not scored: min(⌊0.15 · rows⌋, 750). */
export function probationRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/**
 * A row's part in the score, fixed by where it lies: inside window `window` with
 * its reward if it is that window's first detection, or outside with its cost.
 */
interface RowRole {
  readonly score: number;
  readonly window: number; // −1 outside every window
  readonly order: number; // row index, for "first detection in a window"
  readonly weight: number; // TP reward (inside) or FP cost (outside, ≤ 0)
}

/**
 * Scores the corpus under one profile at the best threshold: sweeps every
 * distinct score (highest first), keeping the total of the best one. Rows in
 * a file's probation period never count.
 */
export function scoreNab(files: readonly NabScoredFile[], profile: NabProfile): NabResult {
  const roles: RowRole[] = [];
  let windows = 0;
  for (const file of files) {
    const probation = probationRows(file.scores.length);
    const base = windows;
    windows += file.windows.length;
    let w = 0; // the first window not yet wholly behind row i
    for (let i = probation; i < file.scores.length; i++) {
      while (w < file.windows.length && file.windows[w][1] < i) w++;
      const inside = w < file.windows.length && file.windows[w][0] <= i;
      if (inside) {
        const [left, right] = file.windows[w];
        const y = -(right - i + 1) / (right - left + 1);
        roles.push({ score: file.scores[i], window: base + w, order: i, weight: (profile.tp * scaledSigmoid(y)) / scaledSigmoid(-1) });
      } else if (w === 0) {
        roles.push({ score: file.scores[i], window: -1, order: i, weight: -profile.fp });
      } else {
        const [pl, pr] = file.windows[w - 1];
        const y = Math.abs(i - pr) / Math.max(1, pr - pl);
        roles.push({ score: file.scores[i], window: -1, order: i, weight: profile.fp * scaledSigmoid(y) });
      }
    }
  }
  roles.sort((a, b) => b.score - a.score);

  const nullTotal = -profile.fn * windows;
  const perfect = profile.tp * windows;
  // Sweep: lower the threshold one distinct score at a time, updating the total.
  const firstHit = new Map<number, RowRole>();
  let fpCost = 0;
  let fpCount = 0;
  let tpReward = 0;
  let best = { raw: nullTotal, threshold: Infinity, tp: 0, fp: 0 };
  let i = 0;
  while (i < roles.length) {
    const threshold = roles[i].score;
    for (; i < roles.length && roles[i].score === threshold; i++) {
      const r = roles[i];
      if (r.window < 0) {
        fpCost += r.weight;
        fpCount++;
        continue;
      }
      const prev = firstHit.get(r.window);
      if (prev === undefined || r.order < prev.order) {
        tpReward += r.weight - (prev?.weight ?? 0);
        firstHit.set(r.window, r);
      }
    }
    const missed = windows - firstHit.size;
    const raw = tpReward + fpCost - profile.fn * missed;
    if (raw > best.raw) best = { raw, threshold, tp: firstHit.size, fp: fpCount };
  }
  const score = perfect === nullTotal ? 0 : (100 * (best.raw - nullTotal)) / (perfect - nullTotal);
  return { profile: profile.name, score, threshold: best.threshold, raw: best.raw, tp: best.tp, fp: best.fp, fn: windows - best.tp };
}
