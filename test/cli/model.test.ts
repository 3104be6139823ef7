import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { initWeights } from '../../src/model/gruWeights.ts';
import { type Service, startService } from '../../src/serve/service.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tempDir.ts';

const ADMIN = 'admin-token-0123456789abcd';
const FEED = 'feed-token-0123456789abcdef';
const tmp = tempDir('forecaster-model-cli');
let service: Service;

const run = (args: string[], token: string) => runCli([...args, '--url', service.url], { FORECASTER_TOKEN: token });

describe('forecaster model, against a running service', () => {
  beforeAll(async () => {
    const config = loadConfig({ store: { path: tmp.path('m.db') }, statsIntervalS: 0, server: { port: 0, tokens: [{ token: ADMIN, scopes: ['admin', 'feed'] }, { token: FEED, scopes: ['feed'] }] } }, {});
    service = await startService(config, pino({ level: 'silent' }), { simulate: false });
    const live = service.app.model;
    service.app.store.checkpoints.save({ ...live, weights: initWeights(live.spec, 5) }, { status: 'candidate', parent: live.meta.version, metrics: { candidateNll: 0.5 } });
  });
  afterAll(async () => {
    await service.stop();
    tmp.remove();
  });

  it('lists the checkpoints and rolls the live model to another version without a restart', async () => {
    const list = await run(['model', 'list'], FEED);
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { version: number; status: string })).toEqual([
      expect.objectContaining({ version: 1, status: 'live' }),
      expect.objectContaining({ version: 2, status: 'candidate', parent: 1 }),
    ]);
    const denied = await run(['model', 'rollback', '2'], FEED);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('FC_ERR_AUTH_SCOPE');
    const done = await run(['model', 'rollback', '2'], ADMIN);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ version: 2 });
    expect(service.app.engine.modelVersion).toBe(2);
    const missing = await run(['model', 'rollback', '99'], ADMIN);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('FC_ERR_MODEL_NOT_FOUND');
  }, 60_000);
});
