import type { AlertEvent } from '../anomaly/alertTracker.ts';
import type { Forecast } from '../engine/reading.ts';
import type { Tick } from '../engine/stepTicks.ts';
import { POINT_FIELDS, writePoint } from './forecastPoints.ts';

/** A committed tick's forecasts, packed into a few transferable arrays for the writer thread. */
export interface PackedTick {
  readonly keys: string[];
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
  | { readonly id: number; readonly ok: true; readonly count: number }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly file: string; readonly message: string };

/** The tick's accepted readings and their forecasts (rejections are not stored), packed. */
export function packTick(tick: Tick): PackedTick {
  const forecasts = tick.outcomes.filter((o): o is Forecast => o.kind === 'forecast');
  const n = forecasts.length;
  const k = n === 0 ? 0 : forecasts[0].points.length;
  const p: PackedTick = {
    keys: new Array<string>(n),
    ts: new Float64Array(n),
    value: new Float64Array(n),
    modelVersion: new Int32Array(n),
    horizons: k,
    points: new Float64Array(n * k * POINT_FIELDS),
  };
  for (let i = 0; i < n; i++) {
    const f = forecasts[i];
    if (f.points.length !== k) throw new RangeError(`forecasts of one tick have ${k} and ${f.points.length} horizons`);
    p.keys[i] = f.stream;
    p.ts[i] = f.ts;
    p.value[i] = f.value;
    p.modelVersion[i] = f.modelVersion;
    for (let j = 0; j < k; j++) {
      const q = f.points[j];
      writePoint(p.points, (i * k + j) * POINT_FIELDS, q.horizon, q.ts, q.mean, q.lower, q.upper);
    }
  }
  return p;
}
