/** One observation of one stream. `ts` is epoch milliseconds. */
export interface Reading {
  readonly stream: string;
  readonly ts: number;
  readonly value: number;
  readonly tags?: Readonly<Record<string, string>>;
}

/** A reading the engine refused, with a stable code and what was wrong. */
export interface Rejection {
  readonly kind: 'rejected';
  readonly reading: unknown;
  readonly code: string;
  readonly message: string;
}

/** One horizon of a forecast: the value expected `horizon` readings ahead and its interval. */
export interface ForecastPoint {
  readonly horizon: number;
  /** Expected time of that reading (epoch ms), from the stream's typical interval; null until the stream has two readings. */
  readonly ts: number | null;
  readonly mean: number;
  readonly scale: number;
  readonly lower: number;
  readonly upper: number;
}

/** What the engine says after taking one reading into its stream's state. */
export interface Forecast {
  readonly kind: 'forecast';
  readonly stream: string;
  /** The reading this forecast follows. */
  readonly ts: number;
  readonly value: number;
  readonly modelVersion: number;
  /** The one-step forecast made before this reading arrived (null for a stream's first reading). */
  readonly prior: { readonly mean: number; readonly scale: number } | null;
  readonly points: readonly ForecastPoint[];
  /** How unusual this reading was (see anomaly/readingAnomaly.ts): both in [0, 1). */
  readonly anomaly: { readonly score: number; readonly likelihood: number };
}

export type Outcome = Forecast | Rejection;
