import { describe, expect, it } from 'vitest';
import { StateTable } from '../../src/engine/stateTable.ts';
import { streamCodes } from '../../src/engine/streamCodes.ts';
import { decodeStreamState, encodeStreamState } from '../../src/engine/streamStateCodec.ts';
import { SEASON_SLOTS, Stat, STAT_COUNT } from '../../src/engine/streamStats.ts';
import { StreamStateError } from '../../src/errors.ts';

describe('StateTable', () => {
  it('gives each new key its own zeroed slot and grows past its capacity', () => {
    const t = new StateTable(4, 2);
    const slots = ['a', 'b', 'c', 'd', 'e'].map((k) => t.ensure(k));
    expect(new Set(slots).size).toBe(5);
    expect(t.slotCapacity).toBeGreaterThanOrEqual(5);
    expect(t.ensure('c')).toBe(slots[2]);
    expect(t.exportState('e')?.hidden).toEqual(new Float32Array(4));
    expect(t.exportState('e')?.stats[Stat.LAST_TS]).toBe(-Infinity);
  });

  it('exports and imports a stream’s whole state, and moves it between tables', () => {
    const a = new StateTable(3, 1);
    const slot = a.ensure('s');
    a.hidden.set([0.1, -0.2, 0.3], slot * 3);
    a.stats[slot * STAT_COUNT + Stat.MEAN] = 12.5;
    a.stats[slot * STAT_COUNT + Stat.LAST_TS] = 1_700_000_000_123;
    const moved = a.remove('s');
    expect(a.slotOf('s')).toBe(-1);
    if (moved === undefined) throw new Error('expected a state');
    const b = new StateTable(3, 1);
    b.importState(moved);
    expect(b.exportState('s')).toEqual(moved);
  });

  it('reuses the slot of a removed stream, zeroed', () => {
    const t = new StateTable(2, 4);
    const s = t.ensure('old');
    t.hidden.set([5, 5], s * 2);
    t.remove('old');
    expect(t.ensure('new')).toBe(s);
    expect(t.exportState('new')?.hidden).toEqual(new Float32Array(2));
  });

  it('finds a stream by its key\'s code as by its key, through removal, reuse and import', () => {
    const t = new StateTable(2, 2);
    const keys = ['code/a', 'code/b', 'code/c'];
    const codes = keys.map((k) => streamCodes.codeOf(k));
    expect(codes.map((c) => t.slotOfCode(c))).toEqual([-1, -1, -1]);
    for (const k of keys) t.ensure(k);
    const moved = t.remove('code/b');
    t.ensure('code/d');
    if (moved === undefined) throw new Error('expected a state');
    const other = new StateTable(2, 1);
    other.importState(moved);
    for (const k of [...keys, 'code/d']) expect(t.slotOfCode(streamCodes.codeOf(k))).toBe(t.slotOf(k));
    expect(t.slotOfCode(codes[1])).toBe(-1);
    expect(other.slotOfCode(codes[1])).toBe(other.slotOf('code/b'));
    expect(other.slotOfCode(codes[0])).toBe(-1);
  });

  it('refuses a state whose hidden size does not fit', () => {
    const t = new StateTable(4);
    expect(() => t.importState({ key: 'x', hidden: new Float32Array(3), stats: new Float64Array(STAT_COUNT), profile: new Float32Array(SEASON_SLOTS) })).toThrow(StreamStateError);
    expect(() => t.importState({ key: 'x', hidden: new Float32Array(4), stats: new Float64Array(STAT_COUNT), profile: new Float32Array(24) })).toThrow(StreamStateError);
  });

  it('round-trips a state through its binary form exactly', () => {
    const state = {
      key: 'k',
      hidden: Float32Array.from([0.5, -1.25, 3e-8]),
      stats: Float64Array.from({ length: STAT_COUNT }, (_, i) => (i === Stat.LAST_TS ? 1_767_225_600_001 : i * Math.PI)),
      profile: Float32Array.from({ length: SEASON_SLOTS }, (_, i) => (i % 5 === 0 ? Number.NaN : i / 7)),
    };
    expect(decodeStreamState('k', encodeStreamState(state))).toEqual(state);
    const bad = encodeStreamState(state);
    bad[0] = 9;
    expect(() => decodeStreamState('k', bad)).toThrow(StreamStateError);
    expect(() => decodeStreamState('k', encodeStreamState(state).subarray(0, 20))).toThrow(StreamStateError);
  });

  it('encodes many states straight from its rows, byte for byte as each is encoded alone, skipping keys it does not hold', () => {
    const t = new StateTable(3, 2);
    const keys = Array.from({ length: 5 }, (_, i) => `e-${i}`);
    keys.forEach((k, i) =>
      t.importState({
        key: k,
        hidden: Float32Array.from([i, -i / 3, 1e-7 * i]),
        stats: Float64Array.from({ length: STAT_COUNT }, (_, j) => i * 100 + j * Math.E),
        profile: Float32Array.from({ length: SEASON_SLOTS }, (_, j) => (j === i ? Number.NaN : i - j / 3)),
      }),
    );
    t.remove('e-2');
    const enc = t.exportEncoded(['e-4', 'e-0', 'e-2', 'absent', 'e-3']);
    expect(enc.keys).toEqual(['e-4', 'e-0', 'e-3']);
    let off = 0;
    enc.keys.forEach((k, i) => {
      const bytes = enc.bytes.subarray(off, off + enc.sizes[i]);
      off += enc.sizes[i];
      expect(Buffer.from(bytes).equals(encodeStreamState(t.exportState(k) as NonNullable<ReturnType<StateTable['exportState']>>))).toBe(true);
      expect(decodeStreamState(k, bytes)).toEqual(t.exportState(k));
    });
    expect(off).toBe(enc.bytes.length);
  });

  it('reads a layout-1 state (saved before the anomaly fields) with fresh anomaly fields', () => {
    const v1 = oldLayout(1, Array.from({ length: 8 }, (_, i) => i + 0.5), [0.25, -2]);
    const state = decodeStreamState('old', v1);
    expect(Array.from(state.hidden)).toEqual([0.25, -2]);
    expect(Array.from(state.stats.subarray(0, 8))).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]);
    expect([state.stats[Stat.ERR_PEAK], state.stats[Stat.FLAT_RUN], state.stats[Stat.FLAT_MAX_RUN], state.stats[Stat.ERR_MEAN]]).toEqual([0, 0, 0, 0]);
    expect(state.stats[Stat.LONG_VAR]).toBe(1.5);
    // Written back, it is in the current layout.
    expect(encodeStreamState(state)[0]).toBe(6);
  });

  it('reads a layout-2 state (saved before the slow variance) with the slow variance started at the fast one', () => {
    const v2 = oldLayout(2, Array.from({ length: 11 }, (_, i) => i * 2 + 1), [0.5]);
    const state = decodeStreamState('older', v2);
    expect(Array.from(state.stats.subarray(0, 11))).toEqual(Array.from({ length: 11 }, (_, i) => (i === Stat.FLAT_MAX_RUN ? 0 : i * 2 + 1)));
    expect(state.stats[Stat.LONG_VAR]).toBe(state.stats[Stat.VAR]);
    expect(Array.from(state.hidden)).toEqual([0.5]);
  });

  it('reads a layout-3 state (saved before the recent mean error) with that mean and the longest run at 0, the rest kept', () => {
    const v3 = oldLayout(3, Array.from({ length: 12 }, (_, i) => i * 3 + 0.5), [-0.75]);
    const state = decodeStreamState('v3', v3);
    // Kept, but for the share of repeats where the longest recent run now is.
    expect(Array.from(state.stats.subarray(0, 12))).toEqual(Array.from({ length: 12 }, (_, i) => (i === Stat.FLAT_MAX_RUN ? 0 : i * 3 + 0.5)));
    expect(state.stats[Stat.ERR_MEAN]).toBe(0);
    expect(state.stats).toHaveLength(STAT_COUNT);
    expect(Array.from(state.hidden)).toEqual([-0.75]);
  });

  it('reads a layout-4 state (saved before the weekly profile) with its 13 values kept and a profile not yet seen', () => {
    const v4 = oldLayout(4, Array.from({ length: 13 }, (_, i) => i * 1.5 + 0.25), [2.5, 0]);
    const state = decodeStreamState('v4', v4);
    expect(Array.from(state.stats.subarray(0, 13))).toEqual(Array.from({ length: 13 }, (_, i) => i * 1.5 + 0.25));
    expect([state.stats[Stat.SEASON_ERR_MEAN], state.stats[Stat.SEASON_PEAK]]).toEqual([0, 0]);
    expect(state.profile).toHaveLength(168);
    expect(Array.from(state.profile).every(Number.isNaN)).toBe(true);
    expect(Array.from(state.hidden)).toEqual([2.5, 0]);
    // Written back, it is in the current layout (27 stats, 2 hidden, 168 profile float32s), and reads back the same.
    const bytes = encodeStreamState(state);
    expect([bytes[0], bytes[1], bytes.length]).toEqual([6, 27, 4 + 27 * 8 + 2 * 4 + 168 * 4]);
    expect(decodeStreamState('v4', bytes)).toEqual(state);
  });

  it('reads a layout-5 state (saved before the past days\' peaks) with its 15 values and profile kept, its maxima as the current day\'s peaks', () => {
    const profile = Array.from({ length: 168 }, (_, i) => (i % 3 === 0 ? Number.NaN : i / 4));
    const v5 = oldLayout(5, Array.from({ length: 15 }, (_, i) => i * 0.5 + 1), [-1.5], profile);
    const state = decodeStreamState('v5', v5);
    expect(Array.from(state.stats.subarray(0, 15))).toEqual(Array.from({ length: 15 }, (_, i) => i * 0.5 + 1));
    // The decaying maxima were at the fields that now hold the current day's peaks; no peak on the days before.
    expect([state.stats[Stat.ERR_PEAK], state.stats[Stat.SEASON_PEAK]]).toEqual([8 * 0.5 + 1, 14 * 0.5 + 1]);
    expect(Array.from(state.stats.subarray(15))).toEqual(new Array(12).fill(0));
    expect(Array.from(state.profile)).toEqual(profile);
    expect(Array.from(state.hidden)).toEqual([-1.5]);
    const bytes = encodeStreamState(state);
    expect([bytes[0], bytes[1]]).toEqual([6, 27]);
    expect(decodeStreamState('v5', bytes)).toEqual(state);
  });
});

/**
 * A state in an older layout, written by hand from the format: u8 layout, u8 stat count, u16 LE hidden size,
 * float64 LE stats, float32 LE hidden, then (layout 5) the profile's float32 LE.
 */
function oldLayout(layout: number, stats: readonly number[], hidden: readonly number[], profile: readonly number[] = []): Buffer {
  const b = Buffer.alloc(4 + stats.length * 8 + hidden.length * 4 + profile.length * 4);
  b.writeUInt8(layout, 0);
  b.writeUInt8(stats.length, 1);
  b.writeUInt16LE(hidden.length, 2);
  stats.forEach((x, i) => b.writeDoubleLE(x, 4 + i * 8));
  hidden.forEach((x, i) => b.writeFloatLE(x, 4 + stats.length * 8 + i * 4));
  profile.forEach((x, i) => b.writeFloatLE(x, 4 + stats.length * 8 + hidden.length * 4 + i * 4));
  return b;
}
