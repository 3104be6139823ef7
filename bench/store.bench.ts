/**
 * The store's write path as the service runs it (WriterThread: ticks packed and
 * sent to the writer thread, group-committed there) against a bare
 * better-sqlite3 insert loop of the same rows, and the main thread's
 * event-loop delay while the write path takes 100,000 readings/s.
 * All measured in this run, on files in a temporary folder. Last line: one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Forecast } from '../src/engine/reading.ts';
import { type Tick, tickOf } from '../src/engine/stepTicks.ts';
import { pino } from 'pino';
import { POINT_FIELDS, writePoint } from '../src/store/forecastPoints.ts';
import { Store } from '../src/store/store.ts';
import { WriterThread } from '../src/store/writerThread.ts';

const STREAMS = 10_000;
const TICK = 1000;
const HORIZONS = [1, 6, 24];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const RATE = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'forecaster-bench-store-'));

let clock = Date.UTC(2026, 0, 1);
let cursor = 0;
/** A tick of `n` readings over the streams in turn, each with its forecasts, as the engine emits them. */
function makeTick(n: number): Tick {
  clock += 1000;
  const outcomes: Forecast[] = [];
  for (let i = 0; i < n; i++) {
    const s = cursor++ % STREAMS;
    const value = 20 + (s % 17);
    outcomes.push({
      kind: 'forecast', stream: `site-${s % 100}/sensor-${s}`, ts: clock, value, modelVersion: 1, prior: null, anomaly: { score: 0, likelihood: 0 },
      points: HORIZONS.map((h) => ({ horizon: h, ts: clock + h * 60_000, mean: value + 0.1, scale: 1, lower: value - 2, upper: value + 2 })),
    });
  }
  return tickOf(outcomes);
}
/** A reading row and its forecasts row (every horizon in one BLOB, migrations/0003). */
const rowsPerTick = TICK * 2;

const log = pino({ level: 'warn' });

/** Rows/s through the writer thread: ticks sent as fast as they are made, until SECONDS have passed and all committed. */
async function timeWritePath(): Promise<number> {
  const file = join(dir, 'write-path.db');
  Store.open(file).close();
  const writer = await WriterThread.start(file, log);
  await Promise.all(Array.from({ length: 10 }, () => writer.write(makeTick(TICK)))); // streams exist; statements warm
  let n = 0;
  const started = performance.now();
  let inFlight: Promise<number>[] = [];
  while (performance.now() - started < SECONDS * 1000) {
    inFlight.push(writer.write(makeTick(TICK)));
    n++;
    // Keep a bounded queue in front of the writer, as the service's pipeline does.
    if (inFlight.length >= 8) {
      await inFlight[0];
      inFlight = inFlight.slice(1);
    }
  }
  await Promise.all(inFlight);
  const rate = (n * rowsPerTick) / ((performance.now() - started) / 1000);
  await writer.close();
  return rate;
}

/**
 * Readings/s through the writer thread once the file holds SUSTAINED_AFTER readings of STREAMS streams
 * (the rate of the last LAST of them), indexing by stream included: a stream-ordered B-tree written a
 * reading at a time costs a page per reading once it has more pages than there are streams, which an
 * empty file's first seconds never show (migrations/0004_reading_index.sql).
 */
const SUSTAINED_AFTER = Number(process.env.BENCH_SUSTAINED_READINGS ?? 1_600_000);
const LAST = 400_000;
async function timeSustained(): Promise<number> {
  const file = join(dir, 'sustained.db');
  Store.open(file).close();
  const writer = await WriterThread.start(file, log);
  let inFlight: Promise<number>[] = [];
  let started = 0;
  for (let done = 0; done < SUSTAINED_AFTER; done += TICK) {
    if (done === SUSTAINED_AFTER - LAST) {
      await Promise.all(inFlight);
      inFlight = [];
      started = performance.now();
    }
    if (done % 200_000 === 0) process.stderr.write(`\rfilling: ${done.toLocaleString('en-US')} of ${SUSTAINED_AFTER.toLocaleString('en-US')} readings`);
    inFlight.push(writer.write(makeTick(TICK)));
    if (inFlight.length >= 8) {
      await inFlight[0];
      inFlight = inFlight.slice(1);
    }
  }
  await Promise.all(inFlight);
  process.stderr.write('\n');
  const rate = LAST / ((performance.now() - started) / 1000);
  await writer.close();
  return rate;
}

/** Rows/s of the same write path run synchronously on this thread (TickWriter alone). */
function timeTickWriter(): number {
  const store = Store.open(join(dir, 'tick-writer.db'));
  for (let i = 0; i < 10; i++) store.writer.write(makeTick(TICK));
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000) {
    store.writer.write(makeTick(TICK));
    n++;
  }
  const rate = (n * rowsPerTick) / ((performance.now() - started) / 1000);
  store.close();
  return rate;
}

function timeBare(): number {
  const store = Store.open(join(dir, 'bare.db'));
  const db = store.db;
  const reading = db.prepare('INSERT INTO readings (stream_id, ts, value) VALUES (?, ?, ?)');
  const forecast = db.prepare('INSERT INTO forecasts (reading_id, made_at, model_version, points) VALUES (?, ?, ?, ?)');
  const stream = db.prepare('INSERT INTO streams (id, key, first_seen, last_seen) VALUES (?, ?, 0, 0)');
  db.transaction(() => {
    for (let i = 1; i <= STREAMS; i++) stream.run(i, `s${i}`);
  })();
  const insertTick = db.transaction((t: Tick) => {
    for (const o of t.outcomes) {
      if (o.kind !== 'forecast') continue;
      const sid = (Number(o.stream.slice(o.stream.lastIndexOf('-') + 1)) % STREAMS) + 1;
      const rid = Number(reading.run(sid, o.ts, o.value).lastInsertRowid);
      const points = new Float64Array(o.points.length * POINT_FIELDS);
      o.points.forEach((p, k) => writePoint(points, k * POINT_FIELDS, p.horizon, p.ts, p.mean, p.lower, p.upper));
      forecast.run(rid, o.ts, 1, Buffer.from(points.buffer));
    }
  });
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < SECONDS * 1000) {
    insertTick(makeTick(TICK));
    n++;
  }
  const rate = (n * rowsPerTick) / ((performance.now() - started) / 1000);
  store.close();
  return rate;
}

/** Feeds the writer thread RATE readings/s in 10 ms ticks for SECONDS; returns this thread's event-loop delay p99 in ms. */
async function eventLoopDelayAtRate(): Promise<{ p99: number; achieved: number }> {
  const file = join(dir, 'loop.db');
  Store.open(file).close();
  const writer = await WriterThread.start(file, log);
  const perTick = RATE / 100;
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const started = performance.now();
  let written = 0;
  const commits: Promise<number>[] = [];
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // One tick of what the rate owes (at most two ticks' worth), as the engine would emit it.
      const owed = Math.min(Math.floor(((performance.now() - started) / 1000) * RATE) - written, perTick * 2);
      if (owed > 0) {
        commits.push(writer.write(makeTick(owed)));
        written += owed;
      }
      if (performance.now() - started > SECONDS * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  h.disable();
  await Promise.all(commits);
  const achieved = written / ((performance.now() - started) / 1000);
  await writer.close();
  return { p99: h.percentile(99) / 1e6, achieved };
}

const writePath = await timeWritePath();
process.stdout.write(`write path      ${fmt(writePath)} rows/s (readings + forecasts of ${TICK}-reading ticks, through the writer thread): ${fmt(writePath / 2)} readings/s\n`);
const tickWriter = timeTickWriter();
process.stdout.write(`same, inline    ${fmt(tickWriter)} rows/s (TickWriter on this thread, one transaction per tick)\n`);
const bare = timeBare();
process.stdout.write(`bare inserts    ${fmt(bare)} rows/s (same rows, prepared statements, one transaction per tick)\n`);
process.stdout.write(`ratio           ${(writePath / bare).toFixed(2)}\n`);
const sustained = await timeSustained();
process.stdout.write(`sustained       ${fmt(sustained)} readings/s through the writer thread with ${SUSTAINED_AFTER.toLocaleString('en-US')} readings of ${STREAMS} streams stored (${(sustained / (writePath / 2)).toFixed(2)} of an empty file's)\n`);
const loop = await eventLoopDelayAtRate();
process.stdout.write(`event loop      p99 ${loop.p99.toFixed(1)} ms on the main thread while committing ${fmt(loop.achieved)} readings/s (target ${RATE})\n`);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ bench: 'store', write_path_rows_per_s: Math.round(writePath), write_path_readings_per_s: Math.round(writePath / 2), bare_rows_per_s: Math.round(bare), sustained_readings_per_s: Math.round(sustained), sustained_after_readings: SUSTAINED_AFTER, event_loop_p99_ms: Math.round(loop.p99 * 10) / 10 })}\n`,
);

function fmt(v: number): string {
  return Math.round(v).toLocaleString('en-US').padStart(11);
}
