import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/engine/reading.ts';
import { type EncodedFrame, InlineEncoder, ThreadEncoder } from '../../src/serve/feedEncoder.ts';
import { forecastText, packForecasts, textsOfPacked } from '../../src/serve/feedEncoding.ts';

const log = pino({ level: 'silent' });

/** Forecasts with the awkward cases: multi-byte and escaped keys, a point without ts, non-finite numbers. */
function forecasts(n: number, tick = 1): Forecast[] {
  const keys = ['plain', 'grüße/温度', 'quote"back\\slash', 'emoji-🙂', 'ctl\u0001\n'];
  return Array.from({ length: n }, (_, i) => ({
    kind: 'forecast' as const,
    stream: `${keys[i % keys.length]}-${i}`,
    ts: 1_767_225_600_000 + tick * 60_000,
    value: i % 7 === 0 ? -0.1 + i : Math.sin(i) * 1e6,
    modelVersion: 3,
    prior: null,
    points: [1, 6, 24].map((h) => ({
      horizon: h,
      ts: i % 5 === 0 ? null : 1_767_225_600_000 + tick * 60_000 + h * 60_000,
      mean: Math.cos(i * h) / 3,
      scale: i % 11 === 0 ? Number.NaN : 0.1 * h,
      lower: i % 13 === 0 ? Number.NEGATIVE_INFINITY : -1 - h,
      upper: 1e21 * (i % 2) + h,
    })),
    anomaly: { score: i / (n + 1), likelihood: 1 - 1e-12 },
  }));
}

const text = (b: string | Buffer) => (typeof b === 'string' ? b : b.toString('utf8'));
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
  it('prints packed forecasts exactly as the forecasts themselves', () => {
    const fs = forecasts(300);
    expect(textsOfPacked(packForecasts(fs))).toEqual(fs.map(forecastText));
    // And that text is the forecast's own fields, as JSON reads them back.
    const back = JSON.parse(forecastText(fs[5])) as Record<string, unknown>;
    expect(back.stream).toBe(fs[5].stream);
    expect((back.points as { ts: unknown }[])[0].ts).toBeNull();
  });

  it('gives the same frames, whole and picked, on its own thread as on this one', async () => {
    const enc = await threadEncoder();
    const fs = forecasts(500);
    const here: EncodedFrame = new InlineEncoder().encode(fs);
    const there = await enc.encode(fs);
    expect(Buffer.isBuffer(there.all())).toBe(true);
    expect(text(there.all())).toBe(text(here.all()));
    JSON.parse(text(there.all()));
    for (const picks of [[0], [3, 4, 5, 6], [1, 17, 256, 499], Array.from({ length: 250 }, (_, i) => 2 * i)]) {
      expect(text(there.pick(picks))).toBe(text(here.pick(picks)));
    }
  });

  it('keeps the order of ticks and prints here what was in flight when its thread died', async () => {
    const enc = await threadEncoder();
    const ticks = Array.from({ length: 20 }, (_, t) => forecasts(2000, t));
    const frames = ticks.map((fs) => enc.encode(fs));
    await enc.thread?.terminate();
    // After the thread is gone, new ticks are printed here at once.
    const after = enc.encode(ticks[0]);
    expect(after instanceof Promise).toBe(false);
    const done = await Promise.all(frames);
    // Some were still in flight (printed here: a string, not the thread's bytes).
    expect(done.some((f) => typeof f.all() === 'string')).toBe(true);
    done.forEach((f, t) => expect(text(f.all())).toBe(new InlineEncoder().encode(ticks[t]).all()));
  });
});
