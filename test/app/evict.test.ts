import { pino } from 'pino';
import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildEngine } from '../../src/engine/buildEngine.ts';
import { reading } from '../support/engineFixture.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-evict');
afterAll(() => tmp.remove());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idle streams', () => {
  it('leave memory after the idle time and come back, exactly, on their next reading', async () => {
    const config = loadConfig({ store: { path: tmp.path('evict.db'), idleEvictS: 1 }, statsIntervalS: 0, engine: { maxWaitMs: 1 } }, {});
    const source = new Subject<unknown>();
    const app = await buildApp(config, { log: pino({ level: 'silent' }), source });
    const committed: number[] = [];
    app.committed$.subscribe((t) => committed.push(t.readings.length));
    app.start();
    const reference = buildEngine(app.model, config.engine);
    const send = async (rs: ReturnType<typeof reading>[]) => {
      const before = committed.reduce((a, b) => a + b, 0);
      for (const r of rs) source.next(r);
      reference.step(rs);
      while (committed.reduce((a, b) => a + b, 0) < before + rs.length) await sleep(5);
    };
    for (let i = 0; i < 5; i++) await send([reading('busy', i), reading('sleepy', i)]);
    expect(app.engine.table.size).toBe(2);
    // 'busy' keeps reading; 'sleepy' goes quiet for longer than the idle time.
    for (let i = 5; i < 12; i++) {
      await send([reading('busy', i)]);
      await sleep(300);
    }
    expect(app.engine.table.slotOf('sleepy')).toBe(-1);
    expect(app.engine.table.slotOf('busy')).toBeGreaterThanOrEqual(0);
    await send([reading('sleepy', 5)]);
    expect(app.engine.table.exportState('sleepy')).toEqual(reference.table.exportState('sleepy'));
    source.complete();
    await app.stop();
    reference.dispose();
  });
});
