import { describe, expect, it } from 'vitest';
import { StreamOrder } from '../../src/store/streamOrder.ts';

/** The reference: positions sorted by stream id, ties by position (a stable sort by id). */
function reference(sid: Int32Array, count: number): number[] {
  return Array.from({ length: count }, (_, i) => i).sort((a, b) => sid[a] - sid[b] || a - b);
}

/** A deterministic pseudo-random sequence (xorshift), so a failure repeats. */
function ids(count: number, largest: number, seed: number): Int32Array {
  let x = seed;
  return Int32Array.from({ length: count }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return 1 + ((x >>> 0) % largest);
  });
}

describe('readings ordered by stream for indexing', () => {
  it('orders positions by stream id, each stream in arrival order, for dense ids', () => {
    const order = new StreamOrder();
    for (const [count, largest, seed] of [[1, 1, 1], [7, 3, 2], [5000, 100, 3], [20_000, 20_000, 4], [3000, 50_000, 5]]) {
      const sid = ids(count, largest, seed);
      expect(Array.from(order.sort(sid, count))).toEqual(reference(sid, count));
    }
  });

  it('takes the first `count` positions only, reusing its arrays from call to call', () => {
    const order = new StreamOrder();
    const big = ids(10_000, 500, 6);
    expect(Array.from(order.sort(big, 10_000))).toEqual(reference(big, 10_000));
    const sid = Int32Array.from([4, 2, 4, 1, 2, 99, 99]);
    expect(Array.from(order.sort(sid, 5))).toEqual([3, 1, 4, 0, 2]);
  });

  it('orders ids too sparse to count (far past the batch) the same way', () => {
    const order = new StreamOrder();
    const sid = Int32Array.from(ids(2000, 1000, 7), (v, i) => (i % 3 === 0 ? 2_000_000_000 - v : v));
    expect(Array.from(order.sort(sid, 2000))).toEqual(reference(sid, 2000));
  });

  it('refuses more readings than its keys can hold', () => {
    expect(() => new StreamOrder().sort(new Int32Array(1), 2 ** 21 + 1)).toThrow(RangeError);
  });
});
