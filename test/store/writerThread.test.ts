import { statSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/engine/reading.ts';
import { SEASON_SLOTS, STAT_COUNT } from '../../src/engine/streamStats.ts';
import { type Tick, tickOf } from '../../src/engine/stepTicks.ts';
import { type Db, openDatabase } from '../../src/store/openDatabase.ts';
import { Store } from '../../src/store/store.ts';
import type { AlertEvent } from '../../src/anomaly/alertTracker.ts';
import { WriterThread } from '../../src/store/writerThread.ts';
import { tempDir } from '../support/tempDir.ts';

const tmp = tempDir('forecaster-writer-thread');
afterAll(() => tmp.remove());
const T0 = Date.UTC(2026, 5, 1);

function tick(round: number, streams: number): Tick {
  const fs: Forecast[] = Array.from({ length: streams }, (_, s) => ({
    kind: 'forecast', stream: `sensor-${s}`, ts: T0 + round * 60_000, value: s + round, modelVersion: 1, prior: null, anomaly: { score: 0, likelihood: 0 },
    points: [1, 6, 24].map((h) => ({ horizon: h, ts: T0 + (round + h) * 60_000, mean: s, scale: 1, lower: s - 1, upper: s + 1 })),
  }));
  return tickOf(fs);
}

/** The index mark once it reaches `id` (waiting up to 10 s for the background index), or where it stopped. */
async function indexedTo(db: Db, id: number): Promise<number> {
  const marked = () => (db.prepare('SELECT indexed_to AS mark FROM reading_index_mark').get() as { mark: number }).mark;
  const deadline = Date.now() + 10_000;
  while (marked() < id && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return marked();
}

describe('the writer thread', () => {
  it('has committed pages copied back into the file in the background, long before its own checkpoint threshold', async () => {
    const file = tmp.path('w.db');
    Store.open(file).close();
    const before = statSync(file).size;
    const writer = await WriterThread.start(file, pino({ level: 'silent' }));
    // ~20 MB of WAL: far below the writer connection's own threshold (100,000 pages, ~400 MB).
    for (let round = 0; round < 12; round++) await writer.write(tick(round, 4000));
    const deadline = Date.now() + 5000;
    while (statSync(file).size - before < 8_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(file).size - before).toBeGreaterThan(8_000_000);
    await writer.close();
    // Everything committed is there, once.
    const db = openDatabase(file, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n, count(DISTINCT ts) AS rounds FROM readings').get()).toEqual({ n: 48_000, rounds: 12 });
    expect(db.prepare('SELECT count(*) AS n FROM forecasts').get()).toEqual({ n: 48_000 });
    // Each reading under its own stream (the writer is sent stream codes, and each key once): value = s + round.
    const misplaced = db.prepare(`SELECT count(*) AS n FROM readings r JOIN streams s ON s.id = r.stream_id
      WHERE r.value != CAST(substr(s.key, 8) AS INTEGER) + (r.ts - ${T0}) / 60000`).get();
    expect(misplaced).toEqual({ n: 0 });
    db.close();
  });

  it('indexes readings by stream in the background while it runs, each once', async () => {
    const file = tmp.path('index.db');
    Store.open(file).close();
    const writer = await WriterThread.start(file, pino({ level: 'silent' }));
    // 48,000 readings: under a batch, so they are indexed once the oldest has waited its 2 s.
    for (let round = 0; round < 12; round++) await writer.write(tick(round, 4000));
    const db = openDatabase(file, { readonly: true });
    expect(await indexedTo(db, 48_000)).toBe(48_000);
    expect(db.prepare('SELECT count(*) AS n, count(DISTINCT id) AS ids FROM reading_index').get()).toEqual({ n: 48_000, ids: 48_000 });
    expect(db.prepare("SELECT ts, value FROM reading_index WHERE stream_id = (SELECT id FROM streams WHERE key = 'sensor-7') ORDER BY ts").all()).toEqual(
      Array.from({ length: 12 }, (_, round) => ({ ts: T0 + round * 60_000, value: 7 + round })),
    );
    db.close();
    await writer.close();
  });

  it('commits ticks while a large snapshot is written, each state with the last reading it held when it was taken', async () => {
    const file = tmp.path('snapshot.db');
    Store.open(file).close();
    const writer = await WriterThread.start(file, pino({ level: 'silent' }));
    const streams = 10_000;
    await writer.write(tick(0, streams));
    const states = Array.from({ length: streams }, (_, s) => ({ key: `sensor-${s}`, hidden: new Float32Array(64).fill(s / streams), stats: new Float64Array(STAT_COUNT).fill(s), profile: new Float32Array(SEASON_SLOTS).fill(s) }));
    const events: string[] = [];
    const snapshot = writer.snapshot(states, 1).then((n) => events.push(`snapshot ${n}`));
    // Sent after the snapshot: committed before all of it is written, not behind it.
    const next = writer.write(tick(1, streams)).then(() => events.push('tick 1'));
    await Promise.all([snapshot, next]);
    expect(events).toEqual(['tick 1', `snapshot ${streams}`]);
    await writer.close();
    const db = openDatabase(file, { readonly: true });
    // Every state says it holds round 0's reading (the one committed when it was taken), not round 1's.
    const rows = db.prepare(`SELECT s.key AS key, st.last_reading_id AS rid, r.ts AS ts FROM stream_states st JOIN streams s ON s.id = st.stream_id
      JOIN readings r ON r.id = st.last_reading_id`).all() as { key: string; rid: number; ts: number }[];
    expect(rows).toHaveLength(streams);
    expect(rows.every((r) => r.ts === T0)).toBe(true);
    // Each stream's normaliser is kept beside its state (stats here are all s for sensor-s).
    const norms = db.prepare('SELECT key, norm_mean AS m, norm_var AS v, norm_count AS n FROM streams').all() as { key: string; m: number; v: number; n: number }[];
    expect(norms).toHaveLength(streams);
    expect(norms.filter((r) => { const s = Number(r.key.slice(7)); return r.m !== s || r.v !== s || r.n !== s; })).toEqual([]);
    db.close();
  });

  it('leaves every row it writes with its stream, its foreign-key checks off', async () => {
    const file = tmp.path('keys.db');
    Store.open(file).close();
    const writer = await WriterThread.start(file, pino({ level: 'silent' }));
    // New streams in every tick, a snapshot and alerts: each kind of row that names a stream.
    for (let round = 0; round < 3; round++) await writer.write(tick(round, 1000 * (round + 1)));
    await writer.snapshot(Array.from({ length: 3000 }, (_, s) => ({ key: `sensor-${s}`, hidden: new Float32Array(64), stats: new Float64Array(STAT_COUNT), profile: new Float32Array(SEASON_SLOTS) })), 1);
    const alert = (s: number): AlertEvent => ({
      type: 'alert', id: `a-${s}`, status: 'firing', stream: `sensor-${s}`, kind: 'anomaly', severity: 'warning',
      openedAt: T0, resolvedAt: null, peak: 0.99, value: 1, expected: null, summary: 'test',
    });
    await writer.alerts([alert(5), alert(2999)], null);
    await writer.close();
    const db = openDatabase(file, { readonly: true });
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM readings').get()).toEqual({ n: 6000 });
    expect(db.prepare('SELECT count(*) AS n FROM stream_states').get()).toEqual({ n: 3000 });
    expect(db.prepare('SELECT s.key AS key FROM alerts a JOIN streams s ON s.id = a.stream_id ORDER BY s.key').all()).toEqual([{ key: 'sensor-2999' }, { key: 'sensor-5' }]);
    db.close();
  });

  it('prunes readings a pass at a time, in steps between ticks, until it says the pass is over', async () => {
    const file = tmp.path('prune.db');
    Store.open(file).close();
    const writer = await WriterThread.start(file, pino({ level: 'silent' }));
    for (let round = 0; round < 6; round++) await writer.write(tick(round, 500));
    // Readings are pruned once indexed: wait for the background index (its 2 s delay).
    const db = openDatabase(file, { readonly: true });
    await indexedTo(db, 3000);
    // Rounds 0–3 are older than the cutoff, 4 and 5 are not.
    const before = T0 + 4 * 60_000;
    const steps: { deleted: number; more: boolean }[] = [];
    for (let more = true; more; ) {
      const step = await writer.prune('readings', before, 700);
      steps.push(step);
      more = step.more;
    }
    expect(steps.reduce((n, s) => n + s.deleted, 0)).toBe(2000);
    expect(steps.length).toBeGreaterThan(3);
    expect(await writer.prune('readings', before, 700)).toEqual({ deleted: 0, more: false });
    expect(await writer.prune('forecasts', before, 700)).toEqual({ deleted: 700, more: true });
    await writer.close();
    expect(db.prepare('SELECT min(ts) AS oldest, count(*) AS n FROM readings').get()).toEqual({ oldest: before, n: 1000 });
    expect(db.prepare('SELECT min(ts) AS oldest, count(*) AS n FROM reading_index').get()).toEqual({ oldest: before, n: 1000 });
    db.close();
  });
});
