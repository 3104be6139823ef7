import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/app.ts';
import { DEFAULT_MODEL_PATH } from '../../src/config.ts';
import { buildEngine } from '../../src/engine/buildEngine.ts';
import { decodeStreamState } from '../../src/engine/streamStateCodec.ts';
import { decodePoints } from '../../src/store/forecastPoints.ts';
import { openDatabase } from '../../src/store/openDatabase.ts';
import { useBestBackend } from '../support/backend.ts';
import { tempDir } from '../support/tempDir.ts';

const BIN = fileURLToPath(new URL('../../bin/forecaster.js', import.meta.url));
const STREAMS = 1000;
const ROUNDS = 10;
const T0 = Date.UTC(2026, 5, 1);
const tmp = tempDir('forecaster-crash');
afterAll(() => tmp.remove());

interface Ack {
  seq: number;
  ok?: boolean;
  code?: string;
}

/** All readings, in the order a producer sends them: round by round over every stream. */
const READINGS = Array.from({ length: ROUNDS * STREAMS }, (_, n) => {
  const r = Math.floor(n / STREAMS);
  const s = n % STREAMS;
  return { stream: `plant-${s % 10}/meter-${s}`, ts: T0 + r * 60_000 + (s % 13) * 100, value: 100 + 20 * Math.sin(r / 3 + s) + (s % 7) };
});

function startService(file: string, logLevel = 'warn'): { child: ChildProcessWithoutNullStreams; acks: Ack[]; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, 'run', '--ingest', 'stdin', '--db', file, '--stats-interval', '0', '--snapshot-interval', '1', '--log-level', logLevel, '--max-wait-ms', '5'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const acks: Ack[] = [];
  let buffered = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const l of lines) if (l !== '') acks.push(JSON.parse(l));
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, acks, exited, stderr: () => err };
}

const until = async (cond: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const line = (r: (typeof READINGS)[number]) => `${JSON.stringify(r)}\n`;

describe('crash recovery of the service', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('after SIGKILL mid-load, stores every acknowledged reading once and resumes the exact states and forecasts', async () => {
    const file = tmp.path('service.db');
    // First run: half the rounds, a pause long enough for a snapshot, then more, killed mid-load.
    const a = startService(file);
    a.child.stdin.write(READINGS.slice(0, 5 * STREAMS).map(line).join(''));
    await until(() => a.acks.length >= 5 * STREAMS);
    await new Promise((r) => setTimeout(r, 1500));
    // Then a round every 100 ms, as live sensors would, killed in the middle of the load.
    for (let r = 5; r < ROUNDS && a.acks.length < 7 * STREAMS + 300; r++) {
      a.child.stdin.write(READINGS.slice(r * STREAMS, (r + 1) * STREAMS).map(line).join(''));
      await new Promise((res) => setTimeout(res, 100));
    }
    await until(() => a.acks.length >= 7 * STREAMS + 300);
    a.child.kill('SIGKILL');
    await a.exited;
    expect(a.acks.every((k) => k.ok === true)).toBe(true);
    // Acknowledgements come in order, so the producer resends from the first one it lacks.
    const acked = a.acks.length;
    expect(a.acks.map((k) => k.seq)).toEqual(Array.from({ length: acked }, (_, i) => i + 1));
    expect(acked).toBeLessThan(READINGS.length);

    const b = startService(file, 'info');
    b.child.stdin.end(READINGS.slice(acked).map(line).join(''));
    expect(await b.exited).toBe(0);
    const logs = b.stderr().trim().split('\n').map((l) => JSON.parse(l));
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
    // The restart started from snapshots (taken each second) and replayed whatever came after the last one
    // (test/store/recovery.test.ts pins a replay down deterministically).
    const recovered = logs.find((l) => l.msg === 'recovered');
    expect(recovered.fromSnapshots).toBe(STREAMS);
    expect(recovered.streams).toBe(STREAMS);
    expect(b.acks).toHaveLength(READINGS.length - acked);
    // Readings committed but not acknowledged before the kill come back as duplicates; nothing else is refused.
    const codes = new Set(b.acks.filter((k) => k.ok !== true).map((k) => k.code));
    expect([...codes].every((c) => c === 'FC_ERR_TS_DUPLICATE')).toBe(true);

    const db = openDatabase(file, { readonly: true });
    const counts = db.prepare("SELECT count(*) AS n, count(DISTINCT stream_id || ':' || ts) AS d FROM readings").get();
    expect(counts).toEqual({ n: READINGS.length, d: READINGS.length });

    // The uninterrupted run over the same readings, in this process, on the same model.
    const engine = buildEngine(loadModel(DEFAULT_MODEL_PATH), { maxKeyLength: 256, initialCapacity: 1024 });
    const means = new Map<string, number>();
    for (let i = 0; i < READINGS.length; i += 777) {
      const chunk = READINGS.slice(i, i + 777);
      const out = engine.step(chunk);
      for (let row = 0; row < out.count; row++) {
        const r = chunk[out.readingIndex[row]];
        means.set(`${r.stream}@${r.ts}`, out.mean[row * 3]);
      }
    }
    const states = db.prepare('SELECT s.key AS key, st.state AS state, st.last_reading_id AS rid FROM stream_states st JOIN streams s ON s.id = st.stream_id').all() as { key: string; state: Buffer; rid: number }[];
    expect(states).toHaveLength(STREAMS);
    let worst = 0;
    for (const row of states) {
      const got = decodeStreamState(row.key, row.state).hidden;
      const want = engine.table.exportState(row.key)?.hidden ?? new Float32Array();
      for (let j = 0; j < got.length; j++) worst = Math.max(worst, Math.abs(got[j] - want[j]));
    }
    expect(worst).toBeLessThan(1e-5);
    // Forecasts made after the restart equal the uninterrupted run's.
    // Reading ids follow acceptance order; everything past the acknowledged prefix was stepped by a restarted engine
    // (replayed, or accepted after the restart).
    const after = (db.prepare('SELECT s.key AS key, r.ts AS ts, f.points AS points FROM forecasts f JOIN readings r ON r.id = f.reading_id JOIN streams s ON s.id = r.stream_id WHERE r.id > ?').all(acked) as { key: string; ts: number; points: Buffer }[])
      .map((row) => ({ key: row.key, ts: row.ts, mean: decodePoints(row.points).find((p) => p.horizon === 1)?.mean ?? NaN }));
    expect(after.length).toBe(READINGS.length - acked);
    // The same float32 kernel on both sides: equal here to 1e-9; 1e-6 leaves room for native backends,
    // whose matrix products may round differently with the batch size.
    for (const f of after) expect(Math.abs(f.mean - (means.get(`${f.key}@${f.ts}`) ?? NaN))).toBeLessThan(1e-6 * Math.max(1, Math.abs(f.mean)));
    db.close();
    engine.dispose();
  });
});
