import { RejectCode } from '../errors.ts';

export interface EdgeProblem {
  readonly code: string;
  readonly message: string;
}

/** Timestamps below this many units are epoch seconds; at or above, epoch milliseconds (10^11 ms is 1973-03-03). */
export const SECONDS_BELOW = 1e11;
export const MAX_TAGS = 16;
export const MAX_TAG_KEY = 64;
export const MAX_TAG_VALUE = 256;

/**
 * Brings a reading from the wire to the engine's form, in place: `ts` as an
 * ISO 8601 string, epoch seconds (a number below 10^11) or epoch milliseconds
 * becomes epoch milliseconds; `tags`, when present, must be an object of at
 * most MAX_TAGS string values. Returns the problem, or null. Key and value are
 * checked by the engine.
 */
export function normaliseReading(item: Record<string, unknown>): EdgeProblem | null {
  const ts = item.ts;
  if (typeof ts === 'string') {
    // Date.parse also takes loose forms; require ISO 8601 with a date and a time zone or Z.
    if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(ts)) {
      return { code: RejectCode.TS_INVALID, message: `ts ${JSON.stringify(ts.slice(0, 40))} is not an ISO 8601 time` };
    }
    const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(ts) || ts.length === 10 ? ts : `${ts}Z`);
    if (!Number.isFinite(ms)) return { code: RejectCode.TS_INVALID, message: `ts ${JSON.stringify(ts.slice(0, 40))} is not a valid time` };
    item.ts = ms;
  } else if (typeof ts === 'number' && Number.isFinite(ts) && ts >= 0 && ts < SECONDS_BELOW) {
    item.ts = Math.round(ts * 1000);
  }
  const tags = item.tags;
  if (tags !== undefined) {
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return { code: RejectCode.TAGS_INVALID, message: 'tags must be an object of string values' };
    const entries = Object.entries(tags);
    if (entries.length > MAX_TAGS) return { code: RejectCode.TAGS_INVALID, message: `${entries.length} tags; at most ${MAX_TAGS}` };
    for (const [k, v] of entries) {
      if (k.length > MAX_TAG_KEY || typeof v !== 'string' || v.length > MAX_TAG_VALUE) {
        return { code: RejectCode.TAGS_INVALID, message: `tag ${JSON.stringify(k.slice(0, 40))} must be a string of at most ${MAX_TAG_VALUE} characters (keys ${MAX_TAG_KEY})` };
      }
    }
  }
  return null;
}
