import { RejectCode } from '../errors.ts';

/** A reading's first check, before its stream's order is known: null when it is well-formed. */
export interface ShapeProblem {
  readonly code: RejectCode;
  readonly message: string;
}

/**
 * Checks key, value and timestamp of a reading whose type is not yet trusted.
 * Returns the problem, or null when the reading is well-formed.
 */
export function checkReadingShape(r: unknown, maxKeyLength: number): ShapeProblem | null {
  if (typeof r !== 'object' || r === null) return { code: RejectCode.KEY_NOT_STRING, message: 'reading is not an object with stream, ts and value' };
  const { stream, value, ts } = r as { stream?: unknown; value?: unknown; ts?: unknown };
  if (typeof stream !== 'string') return { code: RejectCode.KEY_NOT_STRING, message: `stream key must be a string; got ${typeName(stream)}` };
  if (stream.length === 0) return { code: RejectCode.KEY_EMPTY, message: 'stream key is empty' };
  if (stream.length > maxKeyLength) {
    return { code: RejectCode.KEY_TOO_LONG, message: `stream key is ${stream.length} characters; the limit is ${maxKeyLength}` };
  }
  if (typeof value !== 'number') return { code: RejectCode.VALUE_NOT_NUMBER, message: `value of "${short(stream)}" must be a number; got ${typeName(value)}` };
  if (!Number.isFinite(value)) return { code: RejectCode.VALUE_NOT_FINITE, message: `value of "${short(stream)}" must be finite; got ${value}` };
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) {
    return { code: RejectCode.TS_INVALID, message: `ts of "${short(stream)}" must be a non-negative number of epoch milliseconds; got ${typeName(ts) === 'number' ? ts : typeName(ts)}` };
  }
  return null;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function short(key: string): string {
  return key.length > 64 ? `${key.slice(0, 61)}...` : key;
}
