import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputFileError } from '../errors.ts';
import { readCsv } from '../ingest/csvReplay.ts';
import { normaliseReading } from '../ingest/normaliseReading.ts';

/** One NAB data file: its rows in time order and its anomaly windows as inclusive row ranges. */
export interface NabFile {
  /** `<category>/<file>.csv`, as the labels name it. */
  readonly name: string;
  readonly ts: Float64Array;
  readonly values: Float64Array;
  readonly windows: readonly (readonly [number, number])[];
}

/**
 * Reads a folder in NAB's layout: `data/<category>/<file>.csv` (`timestamp,value`)
 * and `labels/combined_windows.json`. Files are sorted by name.
 * @throws InputFileError when the folder, a file or the labels cannot be read.
 */
export function readNabCorpus(dir: string): NabFile[] {
  const dataDir = join(dir, 'data');
  const windowsPath = join(dir, 'labels', 'combined_windows.json');
  let labels: Record<string, [string, string][]>;
  try {
    labels = JSON.parse(readFileSync(windowsPath, 'utf8')) as Record<string, [string, string][]>;
  } catch (err) {
    throw new InputFileError(`cannot read NAB labels ${windowsPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const names: string[] = [];
  try {
    for (const category of readdirSync(dataDir).sort()) {
      if (!statSync(join(dataDir, category)).isDirectory()) continue;
      for (const f of readdirSync(join(dataDir, category)).sort()) if (f.endsWith('.csv')) names.push(`${category}/${f}`);
    }
  } catch (err) {
    throw new InputFileError(`cannot list NAB data in ${dataDir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (names.length === 0) throw new InputFileError(`no NAB files (data/<category>/<file>.csv) under ${dir}`);
  return names.map((name) => {
    const table = readCsv(join(dataDir, name));
    if (table.streams.length !== 1) throw new InputFileError(`${name}: expected the columns timestamp,value`);
    const windows = (labels[name] ?? []).map(([start, end]) => rowRange(table.ts, toMs(start, name), toMs(end, name)));
    return { name, ts: table.ts, values: table.values, windows };
  });
}

function toMs(text: string, file: string): number {
  // Labels carry microseconds ("2014-04-10 07:15:00.000000"); milliseconds are enough.
  const item: Record<string, unknown> = { ts: text.replace(/(\.\d{3})\d+$/, '$1') };
  const problem = normaliseReading(item);
  if (problem !== null) throw new InputFileError(`labels of ${file}: ${problem.message}`);
  return item.ts as number;
}

/** The inclusive rows whose timestamps lie in [start, end]. */
function rowRange(ts: Float64Array, start: number, end: number): [number, number] {
  let lo = 0;
  while (lo < ts.length && ts[lo] < start) lo++;
  let hi = lo;
  while (hi + 1 < ts.length && ts[hi + 1] <= end) hi++;
  return [lo, hi];
}
