import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/openDatabase.ts';
import { runCli } from '../support/cli.ts';

const BIN = fileURLToPath(new URL('../../bin/forecaster.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'forecaster-cli-'));
const db = join(dir, 'forecaster.db');

describe('forecaster run', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the simulator through the engine on the shipped model and logs throughput and forecasts', async () => {
    const { code, stdout, stderr } = await runCli(['run', '--port', '0', '--db', db, '--duration', '4', '--streams', '60', '--tick-ms', '20', '--stats-interval', '1']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const records = stdout.trim().split('\n').map((l) => JSON.parse(l));
    const selected = records.find((r) => r.msg === 'compute backend selected');
    expect(['wasm', 'tensorflow', 'tensorflow-gpu', 'cpu']).toContain(selected?.backend);
    expect(records.find((r) => r.msg === 'model loaded')?.version).toBeGreaterThanOrEqual(1);
    const throughput = records.filter((r) => r.msg === 'throughput');
    expect(throughput.length).toBeGreaterThanOrEqual(2);
    const last = throughput[throughput.length - 1];
    expect(last.streams).toBe(60);
    expect(last.readingsPerS).toBeGreaterThan(0);
    expect(last.sample.next).toHaveLength(3);
    for (const p of last.sample.next) {
      expect(Number.isFinite(p.mean)).toBe(true);
      expect(p.lower).toBeLessThanOrEqual(p.mean);
      expect(p.upper).toBeGreaterThanOrEqual(p.mean);
    }
    const stopped = records.find((r) => r.msg === 'service stopped');
    expect(stopped?.forecasts).toBeGreaterThan(60);
  });

  it('keeps its readings, forecasts, model and stream states in the SQLite file, and resumes from it', async () => {
    const before = await runCli(['db', 'stats', '--db', db]);
    expect(before.code).toBe(0);
    const stats = JSON.parse(before.stdout);
    expect(stats.schemaVersion).toBe(4);
    expect(stats.tables.streams.rows).toBe(60);
    expect(stats.tables.readings.rows).toBeGreaterThan(60);
    expect(stats.tables.forecasts.rows).toBe(stats.tables.readings.rows); // one row per reading, all horizons in it
    // Readings are indexed by stream in batches; stopping indexes the rest.
    expect(stats.tables.reading_index.rows).toBe(stats.tables.readings.rows);
    expect(stats.tables.model_checkpoints.rows).toBe(1);
    expect(stats.tables.stream_states.rows).toBe(60);
    const conn = openDatabase(db, { readonly: true });
    // Each stream's normaliser is kept beside its key as of the last snapshot.
    expect(conn.prepare('SELECT count(*) AS n FROM streams WHERE norm_count >= 1 AND norm_var >= 0').get()).toEqual({ n: 60 });
    conn.close();
    const again = await runCli(['run', '--port', '0', '--db', db, '--duration', '2', '--streams', '60', '--tick-ms', '20']);
    expect(again.code).toBe(0);
    const recovered = again.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((r) => r.msg === 'recovered');
    expect(recovered.streams).toBe(60);
    expect(recovered.fromSnapshots).toBe(60);
  });

  it('creates and migrates a database with the migrate command', async () => {
    const file = join(dir, 'migrated', 'new.db');
    const first = await runCli(['migrate', '--db', file]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ file, from: 0, to: 4, applied: [1, 2, 3, 4] });
    const second = await runCli(['migrate', '--db', file]);
    expect(JSON.parse(second.stdout).applied).toEqual([]);
  });

  it('refuses a file that is not a database, naming it, with the store error code', async () => {
    const { code, stderr } = await runCli(['db', 'stats', '--db', BIN]);
    expect(code).toBe(1);
    expect(stderr).toContain('FC_ERR_STORE_CORRUPT');
    expect(stderr).toContain(BIN);
  });

  it('says which address it cannot listen on when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    const { code, stderr } = await runCli(['run', '--port', String(port), '--db', join(dir, 'listen.db'), '--log-level', 'silent']);
    blocker.close();
    expect(code).toBe(1);
    expect(stderr).toContain('FC_ERR_LISTEN');
    expect(stderr).toContain(`127.0.0.1:${port}`);
  });

  it('exits with a usage code and message for an unknown command', async () => {
    const { code, stderr } = await runCli(['frobnicate']);
    expect(code).toBe(64);
    expect(stderr).toContain('FC_ERR_USAGE');
  });

  it('exits with the model error, naming the file, when the model cannot be read', async () => {
    const { code, stderr } = await runCli(['run', '--port', '0', '--db', join(dir, 'fresh.db'), '--duration', '1', '--model', '/nonexistent/model.fcm', '--log-level', 'silent']);
    expect(code).toBe(1);
    expect(stderr).toContain('FC_ERR_MODEL_FORMAT');
    expect(stderr).toContain('/nonexistent/model.fcm');
  });
});
