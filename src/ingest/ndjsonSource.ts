import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { RejectCode } from '../errors.ts';
import { normaliseReading } from './normaliseReading.ts';

/** A line that never reached the engine: not JSON, or not an object. */
export interface LineRejection {
  readonly seq: number;
  readonly code: string;
  readonly message: string;
}

/**
 * Readings from newline-delimited JSON (one reading object a line), e.g. a pipe
 * on stdin. Each line gets a sequence number (from 1); `seqOf` maps a reading
 * back to it, so acknowledgements can name the line. Lines that are not a JSON
 * object go to `onReject` at once and never reach the engine.
 */
export class NdjsonSource {
  private readonly seqs = new WeakMap<object, number>();
  private next = 1;

  constructor(private readonly input: Readable, private readonly onReject: (r: LineRejection) => void) {}

  seqOf(reading: unknown): number | undefined {
    return typeof reading === 'object' && reading !== null ? this.seqs.get(reading) : undefined;
  }

  readings(): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      const lines = createInterface({ input: this.input, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        const seq = this.next++;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch (err) {
          this.onReject({ seq, code: RejectCode.JSON_INVALID, message: `line ${seq} is not JSON: ${err instanceof Error ? err.message : String(err)}` });
          return;
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          this.onReject({ seq, code: RejectCode.KEY_NOT_STRING, message: `line ${seq} is not a reading object with stream, ts and value` });
          return;
        }
        const problem = normaliseReading(parsed as Record<string, unknown>);
        if (problem !== null) {
          this.onReject({ seq, code: problem.code, message: problem.message });
          return;
        }
        this.seqs.set(parsed, seq);
        subscriber.next(parsed);
      });
      lines.on('close', () => subscriber.complete());
      return () => lines.close();
    });
  }
}
