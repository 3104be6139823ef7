import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../../src/errors.ts';
import { stepTick } from '../../src/engine/stepTicks.ts';
import { Store } from '../../src/store/store.ts';
import { useBestBackend } from '../support/backend.ts';
import { makeEngine, reading } from '../support/engineFixture.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-store-failures');
afterAll(() => tmp.remove());

describe('store failures', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('refuses a file that is not an SQLite database, naming it', () => {
    const file = tmp.path('notes.txt');
    writeFileSync(file, 'these are not the pages you are looking for\n'.repeat(200));
    expect(() => Store.open(file)).toThrow(expect.objectContaining({ code: StoreErrorCode.CORRUPT, file }));
  });

  it('refuses a damaged database, naming it', () => {
    const file = tmp.path('damaged.db');
    Store.open(file).close();
    // Keep the 16-byte header, destroy the rest of the first page.
    const buf = Buffer.alloc(4096, 0xab);
    Buffer.from('SQLite format 3\0').copy(buf);
    writeFileSync(file, buf);
    expect(() => Store.open(file)).toThrow(expect.objectContaining({ code: StoreErrorCode.CORRUPT, file }));
  });

  it('refuses a path that cannot be written, naming it', () => {
    const blocker = tmp.path('a-file');
    writeFileSync(blocker, 'x');
    const file = `${blocker}/inside/forecaster.db`;
    expect(() => Store.open(file)).toThrow(expect.objectContaining({ code: StoreErrorCode.OPEN, file }));
  });

  it('on a full disk fails the tick as a whole, names the file, and keeps everything committed before', () => {
    const file = tmp.path('full.db');
    const store = Store.open(file);
    const engine = makeEngine();
    const first = stepTick(engine, Array.from({ length: 20 }, (_, i) => reading(`s-${i}`, 0)), 0.95);
    store.writer.write(first);
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    const big = stepTick(engine, Array.from({ length: 3000 }, (_, i) => reading(`big-${i}-${'k'.repeat(40)}`, 0)), 0.95);
    expect(() => store.writer.write(big)).toThrow(expect.objectContaining({ code: StoreErrorCode.FULL, file }));
    expect(store.db.prepare('SELECT count(*) AS n FROM readings').get()).toEqual({ n: 20 });
    expect(store.db.prepare('SELECT count(*) AS n FROM forecasts').get()).toEqual({ n: 20 }); // one row per reading
    expect(store.db.prepare("SELECT count(*) AS n FROM streams WHERE key LIKE 'big-%'").get()).toEqual({ n: 0 });
    // After space is freed, writing works again.
    store.db.pragma('max_page_count = 1073741823');
    const next = stepTick(engine, [reading('s-0', 1)], 0.95);
    expect(store.writer.write(next).readings).toBe(1);
    engine.dispose();
    store.close();
  });
});
