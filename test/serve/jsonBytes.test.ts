import { describe, expect, it } from 'vitest';
import { JsonBytes } from '../../src/serve/jsonBytes.ts';

const print = (write: (w: JsonBytes) => void): string => {
  const w = new JsonBytes(8); // small, so that writing grows it
  write(w);
  return Buffer.from(w.take()).toString('utf8');
};

/** Deterministic doubles over many magnitudes and both signs. */
function doubles(n: number): number[] {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * rnd() * 10 ** Math.floor(rnd() * 60 - 30));
}

describe('JSON bytes', () => {
  it('prints any double so that JSON reads it back exactly, and non-finite numbers as null', () => {
    const xs = [...doubles(5000), 0, -0, 1, -1, 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 53, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 0.1, 20.15, -273.15, 1769904000000];
    for (const x of xs) expect(JSON.parse(print((w) => w.exact(x)))).toBe(x === 0 ? 0 : x);
    for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(print((w) => w.exact(x))).toBe('null');
  });

  it('prints integers and short decimals as JSON.stringify does', () => {
    const xs = [0, -0, 7, -42, 1769904000000, 2 ** 53 - 1, 20.5, -0.25, 3.14159, 0.000123, 99.999, 123456.789012];
    for (const x of xs) expect(print((w) => w.exact(x))).toBe(JSON.stringify(x));
  });

  it('rounds to the given decimals, half a unit at most, without trailing zeros', () => {
    for (const x of doubles(5000)) {
      for (const d of [0, 1, 3, 6, 9, 15]) {
        const text = print((w) => w.fixed(x, d));
        const back = JSON.parse(text) as number;
        if (Math.abs(x) * 10 ** d >= 2 ** 53) {
          expect(back).toBe(x); // too many digits to round: printed exactly
          continue;
        }
        expect(Math.abs(back - x)).toBeLessThanOrEqual(0.5 * 10 ** -d + Math.abs(x) * 2 ** -52);
        const frac = /\.(\d+)$/.exec(text)?.[1] ?? '';
        expect(frac.length).toBeLessThanOrEqual(d);
        expect(frac.endsWith('0')).toBe(false);
        expect(text).toMatch(/^-?(0|[1-9]\d*)(\.\d+)?$/);
      }
    }
    expect(print((w) => w.fixed(-0.0004, 3))).toBe('0');
    expect(print((w) => w.fixed(2.5, 0))).toBe('3');
    expect(print((w) => w.fixed(1.10000001, 4))).toBe('1.1');
    expect(print((w) => w.fixed(Number.NaN, 2))).toBe('null');
  });

  it('escapes strings as JSON.stringify does, non-ASCII included', () => {
    for (const s of ['plant-1/sensor-2', '', 'quote"back\\slash', 'ctl\u0001\n\t', 'grüße/温度', 'emoji-🙂', 'lone\ud800surrogate', '\u007f']) {
      expect(print((w) => w.string(s))).toBe(JSON.stringify(s));
    }
  });

  it('writes past its first buffer and hands back only what was written', () => {
    const w = new JsonBytes(4);
    for (let i = 0; i < 1000; i++) w.exact(i);
    expect(w.take().length).toBe(w.length);
    expect(Buffer.from(w.take()).toString()).toBe(Array.from({ length: 1000 }, (_, i) => String(i)).join(''));
    w.reset();
    w.string('ab');
    expect(Buffer.from(w.take()).toString()).toBe('"ab"');
  });
});
