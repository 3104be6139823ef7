import { HttpErrorCode, RejectCode } from '../errors.ts';
import type { ItemRejection } from './ingestTracker.ts';
import { normaliseReading } from '../ingest/normaliseReading.ts';
import type { Refusal } from './auth.ts';

export interface ParsedBatch {
  /** Items that go to the engine (objects), with their index in the request. */
  readonly items: object[];
  readonly indexes: number[];
  /** Items refused here: not JSON (NDJSON lines) or not an object. */
  readonly early: ItemRejection[];
}

/**
 * Reads a request body of readings: a JSON object, a JSON array of them, or
 * NDJSON (one per line). Returns the batch, or the refusal of the whole request.
 */
export function parseReadings(body: string, contentType: string, maxBatch: number): ParsedBatch | Refusal {
  const items: object[] = [];
  const indexes: number[] = [];
  const early: ItemRejection[] = [];
  const take = (v: unknown, index: number): void => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const problem = normaliseReading(v as Record<string, unknown>);
      if (problem !== null) {
        early.push({ index, code: problem.code, message: problem.message });
        return;
      }
      items.push(v);
      indexes.push(index);
    } else {
      early.push({ index, code: RejectCode.KEY_NOT_STRING, message: `item ${index} is not a reading object with stream, ts and value` });
    }
  };
  if (/^application\/(x-)?ndjson\b/i.test(contentType)) {
    const lines = body.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > maxBatch) return tooMany(lines.length, maxBatch);
    lines.forEach((line, i) => {
      try {
        take(JSON.parse(line), i);
      } catch (err) {
        early.push({ index: i, code: RejectCode.JSON_INVALID, message: `line ${i + 1} is not JSON: ${err instanceof Error ? err.message : String(err)}` });
      }
    });
    return { items, indexes, early };
  }
  if (contentType !== '' && !/^application\/json\b/i.test(contentType)) {
    return { status: 415, code: HttpErrorCode.CONTENT_TYPE, message: `Content-Type must be application/json or application/x-ndjson; got ${contentType.slice(0, 80)}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return { status: 400, code: HttpErrorCode.JSON_INVALID, message: `the body is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  return batchFromValue(parsed, maxBatch);
}

/** A parsed JSON value as a batch: a reading object, or an array of them. */
export function batchFromValue(parsed: unknown, maxBatch: number): ParsedBatch | Refusal {
  const items: object[] = [];
  const indexes: number[] = [];
  const early: ItemRejection[] = [];
  const take = (v: unknown, index: number): void => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const problem = normaliseReading(v as Record<string, unknown>);
      if (problem !== null) {
        early.push({ index, code: problem.code, message: problem.message });
        return;
      }
      items.push(v);
      indexes.push(index);
    } else {
      early.push({ index, code: RejectCode.KEY_NOT_STRING, message: `item ${index} is not a reading object with stream, ts and value` });
    }
  };
  if (Array.isArray(parsed)) {
    if (parsed.length > maxBatch) return tooMany(parsed.length, maxBatch);
    parsed.forEach(take);
  } else if (typeof parsed === 'object' && parsed !== null) {
    take(parsed, 0);
  } else {
    return { status: 400, code: HttpErrorCode.JSON_INVALID, message: 'expected a reading object or an array of them' };
  }
  return { items, indexes, early };
}

function tooMany(n: number, max: number): Refusal {
  return { status: 413, code: HttpErrorCode.BATCH_TOO_LARGE, message: `${n} readings in one request; the limit is ${max}` };
}
