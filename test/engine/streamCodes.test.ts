import { describe, expect, it } from 'vitest';
import { KeySender, KeyTable, StreamCodes } from '../../src/engine/streamCodes.ts';

describe('stream codes', () => {
  it('gives each key one dense code, and a receiving table each key once, in code order', () => {
    const codes = new StreamCodes();
    const sender = new KeySender(codes);
    const table = new KeyTable();
    const sent: string[][] = [];
    for (const tick of [['a', 'b', 'a'], ['b', 'c'], [], ['d', 'a', 'e']]) {
      const row = tick.map((k) => codes.codeOf(k));
      const delta = sender.delta();
      sent.push(delta.keys);
      table.apply(delta);
      expect(row.map((c) => table.keyOf(c))).toEqual(tick);
    }
    expect(sent).toEqual([['a', 'b'], ['c'], [], ['d', 'e']]);
    expect(table.size).toBe(5);
  });

  it('takes a delta that repeats keys it has (another sender brought it further), and refuses one with keys missing before it', () => {
    const codes = new StreamCodes();
    const first = new KeySender(codes);
    const second = new KeySender(codes);
    const table = new KeyTable();
    for (const k of ['a', 'b', 'c']) codes.codeOf(k);
    table.apply(first.delta());
    codes.codeOf('d');
    table.apply(second.delta()); // from code 0: a, b, c again, then d
    expect([0, 1, 2, 3].map((c) => table.keyOf(c))).toEqual(['a', 'b', 'c', 'd']);
    expect(() => table.apply({ base: 6, keys: ['g'] })).toThrow(RangeError);
  });

  it('finds a key\'s code on the receiving side, for keys told before and after the first lookup', () => {
    const codes = new StreamCodes();
    const sender = new KeySender(codes);
    const table = new KeyTable();
    for (const k of ['a', 'b']) codes.codeOf(k);
    table.apply(sender.delta());
    expect(table.codeOf('b')).toBe(codes.codeOf('b'));
    for (const k of ['c', 'a', 'd']) codes.codeOf(k);
    table.apply(sender.delta());
    for (const k of ['a', 'b', 'c', 'd']) expect(table.codeOf(k)).toBe(codes.codeOf(k));
    expect(table.codeOf('never-sent')).toBeUndefined();
  });
});
