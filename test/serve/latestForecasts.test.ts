import { describe, expect, it } from 'vitest';
import { type ForecastLike, TickForecasts } from '../../src/engine/tickForecasts.ts';
import { encodeFrame, packForecasts, printedKeys } from '../../src/serve/feedEncoding.ts';
import { LatestForecasts } from '../../src/serve/latestForecasts.ts';

function forecast(stream: string, ts: number, horizons: number[] = [1, 6]): ForecastLike {
  return {
    stream,
    ts,
    value: ts / 1000,
    modelVersion: 2,
    points: horizons.map((h) => ({ horizon: h, ts: ts + h * 60_000, mean: h + 0.5, scale: 1, lower: h - 1.5, upper: h + 2.5 })),
    anomaly: { score: 0.25, likelihood: 0.5 },
  };
}

/** Records one forecast as its stream's latest. */
const set = (latest: LatestForecasts, f: ForecastLike, seq: number) => latest.set(TickForecasts.fromForecasts([f]), 0, seq);

/** What a feed client reads of the packed pages. */
const read = (pages: ReturnType<LatestForecasts['since']>) =>
  pages.map((p) => (JSON.parse(Buffer.from(encodeFrame(p, printedKeys).bytes).toString()) as { forecasts: { stream: string; ts: number; points: unknown[] }[] }).forecasts);

describe('latest forecasts', () => {
  it('keeps only the newest forecast of each stream and gives those newer than a sequence number', () => {
    const latest = new LatestForecasts();
    let seq = 0;
    for (let round = 0; round < 3; round++) for (const s of ['a', 'b', 'c']) set(latest, forecast(s, round * 60_000), ++seq);
    set(latest, forecast('b', 999_000), ++seq); // seq 10
    expect(latest.size).toBe(3);
    const [page] = read(latest.since(0, () => true, 100));
    expect(page.map((f) => [f.stream, f.ts])).toEqual([['a', 120_000], ['b', 999_000], ['c', 120_000]]);
    expect(page[1]).toEqual(read([packForecasts(TickForecasts.fromForecasts([forecast('b', 999_000)]))])[0][0]);
    // Only b changed after seq 9; a and c are as of 7 and 9.
    expect(read(latest.since(8, () => true, 100)).flat().map((f) => f.stream)).toEqual(['b', 'c']);
    expect(read(latest.since(10, () => true, 100))).toEqual([]);
  });

  it('gives only the streams a client wants, in pages', () => {
    const latest = new LatestForecasts();
    for (let i = 0; i < 2500; i++) set(latest, forecast(`s${i}`, i), i + 1);
    const pages = read(latest.since(0, (s) => s.endsWith('0'), 100));
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    expect(pages.flat().every((f) => f.stream.endsWith('0'))).toBe(true);
  });

  it('makes room when forecasts gain horizons, keeping what it holds', () => {
    const latest = new LatestForecasts();
    for (let i = 0; i < 1500; i++) set(latest, forecast(`s${i}`, i, [1]), i + 1);
    set(latest, forecast('wide', 5, [1, 6, 24, 48]), 2000);
    const all = read(latest.since(0, () => true, 10_000)).flat();
    expect(all).toHaveLength(1501);
    expect(all[1499]).toMatchObject({ stream: 's1499', ts: 1499 });
    expect(all[1499].points).toHaveLength(1);
    expect(all[1500].points).toHaveLength(4);
  });
});
