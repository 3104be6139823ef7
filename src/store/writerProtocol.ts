import type { AlertEvent } from '../anomaly/alertTracker.ts';
import type { Forecast } from '../engine/reading.ts';

/** A committed tick's forecasts, packed into a few transferable arrays for the writer thread. */
export interface PackedTick {
  readonly keys: string[];
  readonly ts: Float64Array<ArrayBuffer>;
  readonly value: Float64Array<ArrayBuffer>;
  readonly modelVersion: Int32Array<ArrayBuffer>;
  readonly horizons: number[];
  /** n × K each. */
  readonly mean: Float64Array<ArrayBuffer>;
  readonly lower: Float64Array<ArrayBuffer>;
  readonly upper: Float64Array<ArrayBuffer>;
  /** n × K; NaN where the target time is unknown. */
  readonly targetTs: Float64Array<ArrayBuffer>;
}

export type WriterRequest =
  | { readonly type: 'tick'; readonly id: number; readonly tick: PackedTick }
  | { readonly type: 'snapshot'; readonly id: number; readonly keys: string[]; readonly states: Uint8Array<ArrayBuffer>; readonly sizes: Int32Array<ArrayBuffer>; readonly modelVersion: number }
  | { readonly type: 'prune'; readonly id: number; readonly table: 'readings' | 'forecasts' | 'alerts'; readonly before: number; readonly batch: number }
  | { readonly type: 'alerts'; readonly id: number; readonly events: readonly AlertEvent[]; readonly payloads: readonly string[] | null }
  | { readonly type: 'close'; readonly id: number };

export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly count: number }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly file: string; readonly message: string };

export function packTick(forecasts: readonly Forecast[]): PackedTick {
  const n = forecasts.length;
  const k = n === 0 ? 0 : forecasts[0].points.length;
  const p: PackedTick = {
    keys: new Array<string>(n),
    ts: new Float64Array(n),
    value: new Float64Array(n),
    modelVersion: new Int32Array(n),
    horizons: n === 0 ? [] : forecasts[0].points.map((q) => q.horizon),
    mean: new Float64Array(n * k),
    lower: new Float64Array(n * k),
    upper: new Float64Array(n * k),
    targetTs: new Float64Array(n * k),
  };
  forecasts.forEach((f, i) => {
    p.keys[i] = f.stream;
    p.ts[i] = f.ts;
    p.value[i] = f.value;
    p.modelVersion[i] = f.modelVersion;
    f.points.forEach((q, j) => {
      p.mean[i * k + j] = q.mean;
      p.lower[i * k + j] = q.lower;
      p.upper[i * k + j] = q.upper;
      p.targetTs[i * k + j] = q.ts ?? Number.NaN;
    });
  });
  return p;
}

const NO_ANOMALY = { score: 0, likelihood: 0 } as const;

/** The forecasts a packed tick holds (in the writer thread; `prior`, `scale` and `anomaly` are not stored). */
export function unpackTick(p: PackedTick): Forecast[] {
  const k = p.horizons.length;
  return p.keys.map((stream, i) => ({
    kind: 'forecast' as const,
    stream,
    ts: p.ts[i],
    value: p.value[i],
    modelVersion: p.modelVersion[i],
    prior: null,
    anomaly: NO_ANOMALY,
    points: p.horizons.map((horizon, j) => ({
      horizon,
      ts: Number.isNaN(p.targetTs[i * k + j]) ? null : p.targetTs[i * k + j],
      mean: p.mean[i * k + j],
      scale: Number.NaN,
      lower: p.lower[i * k + j],
      upper: p.upper[i * k + j],
    })),
  }));
}
