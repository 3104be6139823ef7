import { describe, expect, it } from 'vitest';
import { DirtyStreams } from '../../src/engine/dirtyStreams.ts';
import { StreamCodes } from '../../src/engine/streamCodes.ts';

describe('dirty streams', () => {
  it('holds each marked stream once, in first-marked order, until cleared', () => {
    const codes = new StreamCodes();
    const dirty = new DirtyStreams(codes);
    const keys = Array.from({ length: 3000 }, (_, i) => `s-${i}`);
    // Codes past the initial capacity, marked out of order and twice over, by code (a tick's rows) and by key.
    const tick = Int32Array.from([2999, 5, 2999, 1200, 5], (i) => codes.codeOf(keys[i]));
    dirty.markCodes(tick);
    dirty.add('s-7');
    dirty.add('s-5');
    expect([...dirty]).toEqual(['s-2999', 's-5', 's-1200', 's-7']);
    expect(dirty.size).toBe(4);
    expect(dirty.has('s-1200')).toBe(true);
    expect(dirty.has('s-8')).toBe(false);
    dirty.clear();
    expect([...dirty]).toEqual([]);
    expect(dirty.size).toBe(0);
    dirty.add('s-5');
    expect([...dirty]).toEqual(['s-5']);
  });

  it('forgets a deleted stream, and takes it back once when it is marked again', () => {
    const codes = new StreamCodes();
    const dirty = new DirtyStreams(codes);
    for (const k of ['a', 'b', 'c']) dirty.add(k);
    dirty.delete('b');
    dirty.delete('b');
    dirty.delete('never-seen');
    expect([...dirty]).toEqual(['a', 'c']);
    expect(dirty.size).toBe(2);
    dirty.add('b');
    dirty.add('b');
    // Back in its first place, once.
    expect([...dirty]).toEqual(['a', 'b', 'c']);
    expect(dirty.size).toBe(3);
    dirty.clear();
    dirty.add('c');
    expect([...dirty]).toEqual(['c']);
  });
});
