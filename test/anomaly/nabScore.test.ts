import { describe, expect, it } from 'vitest';
import { NAB_PROFILES, type NabScoredFile, probationRows, scoreNab } from '../../src/anomaly/nabScore.ts';

const [STANDARD, LOW_FP, LOW_FN] = NAB_PROFILES;
// The formulas, written out here from the published method (not taken from the code):
const f = (y: number) => (y > 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1);
const normalised = (raw: number, windows: number, aFn = 1) => (100 * (raw + aFn * windows)) / (windows + aFn * windows);

/** 1,000 rows (probation 150), one window over rows 400..499, a score of 1 at `hits` and 0 elsewhere. */
function file(hits: number[], windows: [number, number][] = [[400, 499]]): NabScoredFile {
  const scores = new Float64Array(1000);
  for (const h of hits) scores[h] = 1;
  return { name: 'f.csv', scores, windows };
}

describe('NAB scoring', () => {
  it('has a probation period of 15 % of the rows, at most 750', () => {
    expect(probationRows(1000)).toBe(150);
    expect(probationRows(10_000)).toBe(750);
  });

  it('gives the full reward for a detection at a window\'s left edge: 100', () => {
    const r = scoreNab([file([400])], STANDARD);
    expect(r.score).toBeCloseTo(100, 9);
    expect(r).toMatchObject({ tp: 1, fp: 0, fn: 0, threshold: 1 });
  });

  it('rewards a detection in the middle of a window by its position', () => {
    const raw = f(-(499 - 450 + 1) / 100) / f(-1);
    expect(scoreNab([file([450])], STANDARD).score).toBeCloseTo(normalised(raw, 1), 9);
  });

  it('counts only the first detection in a window', () => {
    const raw = f(-(499 - 420 + 1) / 100) / f(-1);
    expect(scoreNab([file([420, 430, 499])], STANDARD).score).toBeCloseTo(normalised(raw, 1), 9);
  });

  it('costs a detection after a window by its distance from that window', () => {
    const raw = 1 + 0.11 * f(Math.abs(550 - 499) / (100 - 1));
    const r = scoreNab([file([400, 550])], STANDARD);
    expect(r.score).toBeCloseTo(normalised(raw, 1), 9);
    expect(r.fp).toBe(1);
    // Under the low-FP profile the same detection costs twice as much.
    expect(scoreNab([file([400, 550])], LOW_FP).score).toBeCloseTo(normalised(1 + 0.22 * f(51 / 99), 1), 9);
  });

  it('costs a detection before any window the full A_FP', () => {
    expect(scoreNab([file([400, 200])], STANDARD).score).toBeCloseTo(normalised(1 - 0.11, 1), 9);
  });

  it('ignores detections in the probation period', () => {
    expect(scoreNab([file([400, 100])], STANDARD).score).toBeCloseTo(100, 9);
  });

  it('scores no detection at all as the null detector: 0', () => {
    const r = scoreNab([file([])], STANDARD);
    expect(r.score).toBeCloseTo(0, 9);
    expect(r.fn).toBe(1);
    // A lone false positive is worse than nothing, so the sweep keeps no detections.
    expect(scoreNab([file([700])], STANDARD).score).toBeCloseTo(0, 9);
  });

  it('weights a missed window by A_FN in the low-FN profile', () => {
    // Two windows, the first hit at its left edge, the second missed: raw = 1 − 2.
    const two = file([300], [[300, 349], [600, 649]]);
    expect(scoreNab([two], LOW_FN).score).toBeCloseTo(normalised(1 - 2, 2, 2), 9);
    expect(scoreNab([two], STANDARD).score).toBeCloseTo(normalised(1 - 1, 2), 9);
  });

  it('sweeps one threshold over all files and keeps the best', () => {
    const a = file([]);
    (a.scores as Float64Array)[400] = 0.9;
    (a.scores as Float64Array)[800] = 0.5; // an FP that a threshold of 0.5 would add
    const b = file([]);
    (b.scores as Float64Array)[410] = 0.4; // a late-ish TP that a threshold of 0.4 would add, with the FP
    const r = scoreNab([a, b], STANDARD);
    const atHigh = 1 - 1; // file a's window hit at its edge, b's missed
    const atLow = 1 + f(-(499 - 410 + 1) / 100) / f(-1) + 0.11 * f(Math.abs(800 - 499) / 99);
    expect(r.threshold).toBe(atLow > atHigh ? 0.4 : 0.9);
    expect(r.score).toBeCloseTo(normalised(Math.max(atHigh, atLow), 2), 9);
  });
});
