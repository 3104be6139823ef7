import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/engine/reading.ts';
import { TickForecasts } from '../../src/engine/tickForecasts.ts';
import { type EncodedFrame, InlineEncoder, ThreadEncoder } from '../../src/serve/feedEncoder.ts';
import { pointDecimals } from '../../src/serve/feedEncoding.ts';

const log = pino({ level: 'silent' });

/** Forecasts with the awkward cases: multi-byte and escaped keys, a point without ts, non-finite numbers. */
function forecasts(n: number, tick = 1): Forecast[] {
  const keys = ['plain', 'grüße/温度', 'quote"back\\slash', 'emoji-🙂', 'ctl\u0001\n'];
  return Array.from({ length: n }, (_, i) => ({
    kind: 'forecast' as const,
    // A third of the streams are new in each tick: the encoder thread learns their keys as they come.
    stream: `${keys[i % keys.length]}-${i}${i % 3 === 0 ? `-t${tick}` : ''}`,
    // Runs of forecasts at one time and changes between them (the encoder copies a time equal to the last one printed).
    ts: 1_767_225_600_000 + tick * 60_000 + (i % 4 < 2 ? 0 : 1000),
    value: i % 7 === 0 ? -0.1 + i : Math.sin(i) * 1e6,
    // A model promoted part-way: the first point's opening, which carries the version, is not shared across versions.
    modelVersion: i % 9 === 0 ? 4 : 3,
    prior: null,
    points: [1, 6, 24].map((h) => ({
      horizon: h,
      ts: i % 5 === 0 ? null : 1_767_225_600_000 + tick * 60_000 + (i % 3 === 0 ? 0 : 1000) + h * 60_000,
      mean: Math.cos(i * h) / 3,
      scale: i % 11 === 0 ? Number.NaN : 0.1 * h,
      lower: i % 13 === 0 ? Number.NEGATIVE_INFINITY : -1 - h,
      upper: 1e21 * (i % 2) + h,
    })),
    anomaly: { score: i / (n + 1), likelihood: 1 - 1e-12 },
  }));
}

const text = (b: Buffer) => b.toString('utf8');
let open: ThreadEncoder | null = null;
afterEach(() => {
  open?.close();
  open = null;
});

async function threadEncoder(): Promise<ThreadEncoder> {
  open = new ThreadEncoder(log);
  expect(await open.ready).toBe(true);
  return open;
}

describe('feed encoding', () => {
  it('prints each forecast so that JSON reads back its fields, forecast numbers to a thousandth of the scale', () => {
    const fs = forecasts(300);
    const frame = JSON.parse(text(new InlineEncoder().encode(TickForecasts.fromForecasts(fs)).all())) as { type: string; forecasts: Record<string, unknown>[] };
    expect(frame.type).toBe('forecasts');
    expect(frame.forecasts).toHaveLength(fs.length);
    const json = (x: number) => (Number.isFinite(x) ? x : null); // what JSON.stringify makes of a number
    frame.forecasts.forEach((got, i) => {
      const f = fs[i];
      expect(got.stream).toBe(f.stream);
      expect(got.ts).toBe(f.ts);
      expect(got.value).toBe(f.value);
      expect(got.modelVersion).toBe(f.modelVersion);
      const anomaly = got.anomaly as { score: number; likelihood: number };
      expect(Math.abs(anomaly.score - f.anomaly.score)).toBeLessThanOrEqual(5e-10);
      expect(Math.abs(anomaly.likelihood - f.anomaly.likelihood)).toBeLessThanOrEqual(5e-10);
      const points = got.points as Record<string, number | null>[];
      expect(points).toHaveLength(f.points.length);
      points.forEach((p, k) => {
        const want = f.points[k];
        expect(p.horizon).toBe(want.horizon);
        expect(p.ts).toBe(want.ts);
        for (const field of ['mean', 'scale', 'lower', 'upper'] as const) {
          const x = want[field];
          const printed = p[field];
          if (!Number.isFinite(x)) expect(printed).toBeNull();
          else if (!(want.scale > 0) || !Number.isFinite(want.scale) || Math.abs(x) * 10 ** (3 - Math.floor(Math.log10(want.scale))) >= 2 ** 53) expect(printed).toBe(json(x));
          // Rounded to a thousandth of the scale's leading digit: within half of that unit.
          else expect(Math.abs((printed as number) - x)).toBeLessThanOrEqual(0.5 * 10 ** (Math.floor(Math.log10(want.scale)) - 3) * (1 + 1e-9));
        }
      });
    });
  });

  it('prints a point at a thousandth of its scale, and exactly when the scale is not a positive number', () => {
    expect(pointDecimals(1)).toBe(3);
    expect(pointDecimals(0.25)).toBe(4);
    expect(pointDecimals(37)).toBe(2);
    expect(pointDecimals(5e6)).toBe(0);
    expect(pointDecimals(1e-20)).toBe(15);
    // At and either side of each power of ten (the double nearest it counts as it): 3 − e, clamped to 0–15.
    const clamp = (d: number) => Math.min(15, Math.max(0, d));
    for (let e = -14; e <= 5; e++) {
      const p = Number(`1e${e}`);
      expect(pointDecimals(p)).toBe(clamp(3 - e));
      expect(pointDecimals(p * 1.001)).toBe(clamp(3 - e));
      expect(pointDecimals(p * 0.999)).toBe(clamp(4 - e));
    }
    for (const s of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(pointDecimals(s)).toBe(-1);
  });

  it('gives the same frames, whole and picked, on its own thread as on this one', async () => {
    const enc = await threadEncoder();
    // Ticks with streams new to the thread in each: it is sent their keys as they come.
    for (let tick = 1; tick <= 3; tick++) {
      const fs = forecasts(500, tick);
      const here: EncodedFrame = new InlineEncoder().encode(TickForecasts.fromForecasts(fs));
      const there = await enc.encode(TickForecasts.fromForecasts(fs));
      expect(Buffer.isBuffer(there.all())).toBe(true);
      expect(text(there.all())).toBe(text(here.all()));
      JSON.parse(text(there.all()));
      for (const picks of [[0], [3, 4, 5, 6], [1, 17, 256, 499], Array.from({ length: 250 }, (_, i) => 2 * i)]) {
        expect(text(there.pick(picks))).toBe(text(here.pick(picks)));
      }
    }
    // All of them printed there, none here after a failure.
    expect(enc.printedInline).toBe(0);
  });

  it('keeps the order of ticks and prints here what was in flight when its thread died', async () => {
    const enc = await threadEncoder();
    const ticks = Array.from({ length: 20 }, (_, t) => forecasts(2000, t));
    const frames = ticks.map((fs) => enc.encode(TickForecasts.fromForecasts(fs)));
    await enc.thread?.terminate();
    // After the thread is gone, new ticks are printed here at once.
    const after = enc.encode(TickForecasts.fromForecasts(ticks[0]));
    expect(after instanceof Promise).toBe(false);
    const done = await Promise.all(frames);
    // Some were still in flight, and were printed here.
    expect(enc.printedInline).toBeGreaterThan(1);
    done.forEach((f, t) => expect(text(f.all())).toBe(text(new InlineEncoder().encode(TickForecasts.fromForecasts(ticks[t])).all())));
  });
});
