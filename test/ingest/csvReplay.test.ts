import { writeFileSync } from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv, replay } from '../../src/ingest/csvReplay.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-csv');
afterAll(() => tmp.remove());

describe('CSV replay', () => {
  it('reads the NAB layout as one stream named after the file', () => {
    const file = tmp.path('machine_temp.csv');
    writeFileSync(file, 'timestamp,value\n2014-01-01 00:00:00,1.5\n2014-01-01 00:05:00,2\n');
    const t = readCsv(file);
    expect(t.streams).toEqual(['machine_temp']);
    expect(Array.from(t.ts)).toEqual([Date.UTC(2014, 0, 1), Date.UTC(2014, 0, 1, 0, 5)]);
    expect(Array.from(t.values)).toEqual([1.5, 2]);
  });

  it('reads a multi-column file as a stream per column and replays rows in order, skipping empty cells', async () => {
    const file = tmp.path('ett.csv');
    writeFileSync(file, 'date,HUFL,OT\n2016-07-01 00:00:00,5.8,30.5\n2016-07-01 01:00:00,,27.7\n');
    const t = readCsv(file);
    expect(t.streams).toEqual(['ett/HUFL', 'ett/OT']);
    const progress: number[] = [];
    const out = await lastValueFrom(replay(t, { speed: 0, onProgress: (d) => progress.push(d) }).pipe(toArray()));
    expect(out).toEqual([
      { stream: 'ett/HUFL', ts: Date.UTC(2016, 6, 1), value: 5.8 },
      { stream: 'ett/OT', ts: Date.UTC(2016, 6, 1), value: 30.5 },
      { stream: 'ett/OT', ts: Date.UTC(2016, 6, 1, 1), value: 27.7 },
    ]);
    expect(progress.at(-1)).toBe(2);
  });

  it('paces rows by the file clock at the given speed', async () => {
    const file = tmp.path('paced.csv');
    // Rows 1 s apart, replayed 10× faster: the last one comes about 200 ms after the first.
    writeFileSync(file, 'timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:00:01,2\n2020-01-01 00:00:02,3\n');
    const started = Date.now();
    const out = await lastValueFrom(replay(readCsv(file), { speed: 10 }).pipe(toArray()));
    const took = Date.now() - started;
    expect(out).toHaveLength(3);
    expect(took).toBeGreaterThanOrEqual(180);
    expect(took).toBeLessThan(2000);
  });

  it('names the file and line of a bad timestamp', () => {
    const file = tmp.path('bad.csv');
    writeFileSync(file, 'timestamp,value\nsoon,1\n');
    expect(() => readCsv(file)).toThrow(/bad\.csv:2/);
  });
});
