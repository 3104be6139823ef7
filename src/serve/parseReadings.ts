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
  if (/^application\/(x-)?ndjson\b/i.test(contentType)) {
    const lines = body.split('\n').filter((l) => l.trim() !== '');
    if (lines.length > maxBatch) return tooMany(lines.length, maxBatch);
    const batch: ParsedBatch = { items: [], indexes: [], early: [] };
    lines.forEach((line, i) => {
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (err) {
        batch.early.push({ index: i, code: RejectCode.JSON_INVALID, message: `line ${i + 1} is not JSON: ${err instanceof Error ? err.message : String(err)}` });
        return;
      }
      take(batch, v, i);
    });
    return batch;
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
  const batch: ParsedBatch = { items: [], indexes: [], early: [] };
  if (Array.isArray(parsed)) {
    if (parsed.length > maxBatch) return tooMany(parsed.length, maxBatch);
    parsed.forEach((v, i) => take(batch, v, i));
  } else if (typeof parsed === 'object' && parsed !== null) {
    take(batch, parsed, 0);
  } else {
    return { status: 400, code: HttpErrorCode.JSON_INVALID, message: 'expected a reading object or an array of them' };
  }
  return batch;
}

/** Puts item `index` into the batch, normalised, or refuses it (not an object, bad time or tags). */
function take(batch: ParsedBatch, v: unknown, index: number): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    batch.early.push({ index, code: RejectCode.KEY_NOT_STRING, message: `item ${index} is not a reading object with stream, ts and value` });
    return;
  }
  const problem = normaliseReading(v as Record<string, unknown>);
  if (problem !== null) {
    batch.early.push({ index, code: problem.code, message: problem.message });
    return;
  }
  batch.items.push(v);
  batch.indexes.push(index);
}

function tooMany(n: number, max: number): Refusal {
  return { status: 413, code: HttpErrorCode.BATCH_TOO_LARGE, message: `${n} readings in one request; the limit is ${max}` };
}
