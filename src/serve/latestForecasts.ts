import { streamCodes } from '../engine/streamCodes.ts';
import type { TickForecasts } from '../engine/tickForecasts.ts';
import { forecastNums, type PackedForecasts, writeForecastNums } from './feedEncoding.ts';

/**
 * The latest forecast of every stream, for feed clients catching up: one row
 * of numbers per stream in typed arrays, overwritten in place, at the row of
 * the stream's code (streamCodes.ts). Keeping the forecast objects instead
 * kept each alive until its stream's next reading, long enough to survive
 * young-generation collections: at 30,000 readings/s that promoted ~10 MB a
 * scavenge and made each scavenge 10-30 ms.
 */
export class LatestForecasts {
  /** Codes that have a row, in the order they got it. */
  private readonly held: number[] = [];
  /** By code: the row's sequence number (0: no row), point count and numbers. */
  private seqs = new Float64Array(0);
  private counts = new Int32Array(0);
  private nums = new Float64Array(0);
  /** Numbers per row: room for the most points a forecast has had. */
  private width = 0;

  get size(): number {
    return this.held.length;
  }

  /** Records row j of `f` as its stream's latest, with its feed sequence number (from 1). */
  set(f: TickForecasts, j: number, seq: number): void {
    const k = f.horizons.length;
    const need = forecastNums(k);
    if (need > this.width) this.relayout(need);
    const code = f.code[j];
    if (code >= this.seqs.length) this.grow(code + 1);
    if (this.seqs[code] === 0) this.held.push(code);
    this.seqs[code] = seq;
    this.counts[code] = k;
    writeForecastNums(f, j, this.nums, code * this.width);
  }

  /** The rows after sequence number `after` whose stream passes `wanted`, in pages of at most `page`, packed for printing. */
  since(after: number, wanted: (stream: string) => boolean, page: number): PackedForecasts[] {
    const rows: number[] = [];
    for (const code of this.held) if (this.seqs[code] > after && wanted(streamCodes.keyOf(code))) rows.push(code);
    const pages: PackedForecasts[] = [];
    for (let start = 0; start < rows.length; start += page) pages.push(this.pack(rows.slice(start, start + page)));
    return pages;
  }

  private pack(rows: readonly number[]): PackedForecasts {
    let size = 0;
    for (const r of rows) size += forecastNums(this.counts[r]);
    const nums = new Float64Array(size);
    let at = 0;
    for (const r of rows) {
      const n = forecastNums(this.counts[r]);
      nums.set(this.nums.subarray(r * this.width, r * this.width + n), at);
      at += n;
    }
    return { codes: Int32Array.from(rows), points: Int32Array.from(rows, (r) => this.counts[r]), nums };
  }

  private grow(least: number): void {
    const cap = Math.max(1024, least, this.seqs.length * 2);
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    const counts = new Int32Array(cap);
    counts.set(this.counts);
    const nums = new Float64Array(cap * this.width);
    nums.set(this.nums);
    this.seqs = seqs;
    this.counts = counts;
    this.nums = nums;
  }

  /** Wider rows (a model with more horizons): each row's numbers move to its new place. */
  private relayout(width: number): void {
    const nums = new Float64Array(this.seqs.length * width);
    for (const r of this.held) nums.set(this.nums.subarray(r * this.width, (r + 1) * this.width), r * width);
    this.nums = nums;
    this.width = width;
  }
}
