import { describe, expect, it } from 'vitest';
import { withRoomFor } from '../../src/util/typedArrays.ts';

describe('withRoomFor', () => {
  it('keeps an array that holds the index, and grows one that does not, contents kept and the new entries filled', () => {
    const a = Float64Array.of(1, 2, 3);
    expect(withRoomFor(a, 2)).toBe(a);
    const b = withRoomFor(a, 3);
    expect(b).toBeInstanceOf(Float64Array);
    expect(Array.from(b)).toEqual([1, 2, 3, 0, 0, 0]);
    const c = withRoomFor(Int32Array.of(7), 9, -1);
    expect(c).toBeInstanceOf(Int32Array);
    expect(Array.from(c)).toEqual([7, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
  });
});
