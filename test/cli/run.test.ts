import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/forecaster.js', import.meta.url));

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('forecaster run', () => {
  it('runs the simulator through the engine on the shipped model and logs throughput and forecasts', async () => {
    const { code, stdout, stderr } = await runCli(['run', '--duration', '4', '--streams', '60', '--tick-ms', '20', '--stats-interval', '1']);
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

  it('exits with a usage code and message for an unknown command', async () => {
    const { code, stderr } = await runCli(['frobnicate']);
    expect(code).toBe(64);
    expect(stderr).toContain('FC_ERR_USAGE');
  });

  it('exits with the model error, naming the file, when the model cannot be read', async () => {
    const { code, stderr } = await runCli(['run', '--duration', '1', '--model', '/nonexistent/model.fcm', '--log-level', 'silent']);
    expect(code).toBe(1);
    expect(stderr).toContain('FC_ERR_MODEL_FORMAT');
    expect(stderr).toContain('/nonexistent/model.fcm');
  });
});
