import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Observable } from 'rxjs';
import { InputFileError } from '../errors.ts';
import { normaliseReading } from './normaliseReading.ts';

export interface ReplayOptions {
  /** Replay speed against the file's own clock (2 = twice as fast); 0 = as fast as the pipeline takes it. */
  readonly speed: number;
  /** Stream keys are `${prefix}${column}` (NAB files: the file's base name alone). */
  readonly prefix?: string;
  readonly onProgress?: (done: number, total: number) => void;
  /** Work queued downstream; replay waits while it is above 4, so memory stays bounded. */
  readonly backlog?: () => number;
}

export interface CsvTable {
  readonly streams: readonly string[];
  readonly ts: Float64Array;
  /** rows × streams, row-major; NaN for an empty cell. */
  readonly values: Float64Array;
}

/**
 * Reads a time-series CSV: a header, then a time column and one or more value
 * columns. `timestamp,value` (the NAB layout) is one stream named after the
 * file; more columns (the ETT layout) are a stream each, `<file>/<column>`.
 * @throws InputFileError naming the file (and line) that cannot be read.
 */
export function readCsv(path: string, prefix?: string): CsvTable {
  const base = basename(path, extname(path));
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputFileError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  if (header.length < 2) throw new InputFileError(`${path}: expected a header of a time column and value columns`);
  const columns = header.slice(1);
  const single = columns.length === 1 && columns[0] === 'value';
  const streams = single ? [`${prefix ?? ''}${base}`] : columns.map((c) => `${prefix ?? `${base}/`}${c}`);
  const rows = lines.length - 1;
  const ts = new Float64Array(rows);
  const values = new Float64Array(rows * columns.length);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    const reading: Record<string, unknown> = { ts: cells[0].trim() };
    const problem = normaliseReading(reading);
    if (problem !== null) throw new InputFileError(`${path}:${r + 2}: ${problem.message}`);
    ts[r] = reading.ts as number;
    for (let c = 0; c < columns.length; c++) {
      const cell = (cells[c + 1] ?? '').trim();
      values[r * columns.length + c] = cell === '' ? Number.NaN : Number(cell);
    }
  }
  return { streams, ts, values };
}

/**
 * The table's readings, row by row: as fast as the consumer's event loop turns
 * (chunks of rows, yielding between them), or paced by the file's timestamps.
 * Empty cells are skipped; values that are not numbers go on to be refused.
 */
export function replay(table: CsvTable, opts: ReplayOptions): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let row = 0;
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    const rows = table.ts.length;
    const n = table.streams.length;
    const started = Date.now();
    const emitRow = (r: number): void => {
      for (let c = 0; c < n; c++) {
        const v = table.values[r * n + c];
        if (!Number.isNaN(v)) subscriber.next({ stream: table.streams[c], ts: table.ts[r], value: v });
      }
    };
    const step = (): void => {
      if (stopped) return;
      if (opts.backlog !== undefined && opts.backlog() > 4) {
        timer = setTimeout(step, 2);
        return;
      }
      if (opts.speed <= 0) {
        const end = Math.min(rows, row + Math.max(1, Math.floor(4096 / n)));
        for (; row < end; row++) emitRow(row);
      } else {
        const due = table.ts[0] + (Date.now() - started) * opts.speed;
        for (; row < rows && table.ts[row] <= due; row++) emitRow(row);
      }
      opts.onProgress?.(row, rows);
      if (row >= rows) return subscriber.complete();
      if (opts.speed <= 0) timer = setTimeout(step, 0);
      else timer = setTimeout(step, Math.max(1, Math.min(1000, (table.ts[row] - table.ts[0]) / opts.speed - (Date.now() - started))));
    };
    timer = setTimeout(step, 0);
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    };
  });
}
