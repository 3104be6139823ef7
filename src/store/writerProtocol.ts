import type { AlertEvent } from '../anomaly/alertTracker.ts';
import type { Tick } from '../engine/stepTicks.ts';
import type { KeyDelta, KeySender } from '../engine/streamCodes.ts';
import { POINT_FIELDS, writePoint } from './forecastPoints.ts';

/** A committed tick's forecasts, packed into a few transferable arrays for the writer thread. */
export interface PackedTick {
  /** Each reading's stream, as its code, and the keys of codes the writer has not been sent yet. */
  readonly codes: Int32Array<ArrayBuffer>;
  readonly keys: KeyDelta;
  readonly ts: Float64Array<ArrayBuffer>;
  readonly value: Float64Array<ArrayBuffer>;
  readonly modelVersion: Int32Array<ArrayBuffer>;
  /** Points per forecast. */
  readonly horizons: number;
  /** n × horizons × POINT_FIELDS, each forecast's points as its `points` BLOB holds them (forecastPoints.ts). */
  readonly points: Float64Array<ArrayBuffer>;
}

export type WriterRequest =
  | { readonly type: 'tick'; readonly id: number; readonly tick: PackedTick }
  | { readonly type: 'snapshot'; readonly id: number; readonly keys: string[]; readonly states: Uint8Array<ArrayBuffer>; readonly sizes: Int32Array<ArrayBuffer>; readonly modelVersion: number }
  | { readonly type: 'prune'; readonly id: number; readonly table: 'readings' | 'forecasts' | 'alerts'; readonly before: number; readonly batch: number }
  | { readonly type: 'alerts'; readonly id: number; readonly events: readonly AlertEvent[]; readonly payloads: readonly string[] | null }
  | { readonly type: 'close'; readonly id: number };

export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly count: number; /** A prune: whether its pass has more to do. */ readonly more?: boolean }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly file: string; readonly message: string };

/** The tick's accepted readings and their forecasts (rejections are not stored), packed; `keys` tells the writer the keys it lacks. */
export function packTick(tick: Tick, keys: KeySender): PackedTick {
  const f = tick.forecasts;
  const n = f.count;
  const k = f.horizons.length;
  const points = new Float64Array(n * k * POINT_FIELDS);
  for (let at = 0; at < n * k; at++) {
    writePoint(points, at * POINT_FIELDS, f.horizons[at % k], f.pointTs[at], f.mean[at], f.lower[at], f.upper[at]);
  }
  // Copies: the tick's own columns stay readable by its other consumers once these are transferred.
  return { codes: f.code.slice(), keys: keys.delta(), ts: f.ts.slice(), value: f.value.slice(), modelVersion: f.modelVersion.slice(), horizons: k, points };
}
