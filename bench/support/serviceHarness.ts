import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { startTsWorker } from '../../src/util/tsWorker.ts';
import { ReadingBatch } from './readingBatch.ts';

const BIN = fileURLToPath(new URL('../../bin/forecaster.js', import.meta.url));
export const TOKEN = 'bench-token-0123456789abcdef';

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly wsUrl: string;
  /** Resident memory of the service process, MiB. */
  rssMb(): number;
  open(path: string): Promise<WebSocket>;
  stop(): Promise<void>;
}

/** Starts `forecaster run` as its own process on a free port with a bench token; resolves once it listens. */
export async function startServiceProcess(db: string, extraArgs: string[] = []): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...extraArgs, BIN, 'run', '--port', '0', '--db', db, '--stats-interval', '0', '--log-level', 'info'], {
    env: { ...process.env, FORECASTER_TOKENS: `${TOKEN}:ingest,feed`, FORECASTER_SIM_STREAMS: '1', FORECASTER_SIM_TICK_MS: '3600000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`service exited (${code})`)));
  });
  const wsUrl = url.replace('http', 'ws');
  return {
    child,
    wsUrl,
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024,
    open: (path) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${wsUrl}${path}?token=${TOKEN}`);
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      }),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

const SENT_RING = 16;
/** A forecast's stream and reading time as the feed prints them (the bench's keys need no escapes). */
const FORECAST_ID = /\{"stream":"([^"\\]*)","ts":(\d+),/g;

export interface LoadResult {
  readonly readingsPerS: number;
  readonly p50: number;
  readonly p99: number;
  readonly measured: number;
}

/**
 * WebSocket producers for `streams` streams (batches of `batch`, `window` unacknowledged each) and one
 * feed subscriber of everything; warms up 2 s, then measures committed readings/s and send-to-feed latency.
 * Closed loop by default: each producer sends as fast as acknowledgements allow, so the service runs
 * saturated and latency is what `window` in flight costs at that rate. With `rate` (readings/s, all
 * producers together) the load is paced instead: batches leave on a clock, at most `window` unacknowledged
 * per producer, so latency is measured below saturation, as a service sized for its load sees it.
 */
export async function runLoad(
  svc: ServiceProcess,
  opts: {
    streams: number;
    producers: number;
    batch: number;
    window: number;
    seconds: number;
    round0: number;
    rate?: number;
    /** Each measured latency with when its reading was sent (epoch ms), for a trace over time; called once the load has stopped. */
    onLatency?: (sentAt: number, ms: number) => void;
  },
): Promise<LoadResult> {
  const keys = Array.from({ length: opts.streams }, (_, i) => `plant-${i % 100}/sensor-${i}`);
  // When each reading was sent (epoch ms), by stream and round (a ring of SENT_RING rounds per stream;
  // far more than a window holds in flight), shared with the subscriber's thread: the harness's own
  // bookkeeping stays small beside the service's.
  const sentAt = new Float64Array(new SharedArrayBuffer(opts.streams * SENT_RING * 8)).fill(Number.NaN);
  const flags = new Int32Array(new SharedArrayBuffer(4));
  const T0 = Date.UTC(2026, 1, 1);
  const clock = () => performance.timeOrigin + performance.now();
  const subscriber = await startTsWorker(new URL('./feedSubscriber.ts', import.meta.url), {
    wsUrl: svc.wsUrl, token: TOKEN, keys, ring: SENT_RING, t0: T0, sentAt: sentAt.buffer, flags: flags.buffer,
  });
  let measuring = false;
  let committed = 0;
  let stop = false;
  const producers = await Promise.all(Array.from({ length: opts.producers }, () => svc.open('/ingest')));
  const per = opts.streams / opts.producers;
  /** Paced: called as the measurement starts, to drop what each producer fell behind its clock while warming up. */
  const rebases: (() => void)[] = [];
  const runs = producers.map(
    (ws, p) =>
      new Promise<void>((resolve) => {
        const batch = new ReadingBatch(keys);
        let inFlight = 0;
        let round = opts.round0;
        let offset = 0;
        // Paced: batches this producer may send by now, counted from its start.
        const perProducerRate = opts.rate === undefined ? 0 : opts.rate / opts.producers;
        const startedAt = performance.now();
        let sent = 0;
        // Producers are a fraction of a batch interval apart (p / producers), as independent
        // gateways would be: started together, they sent in lockstep, and the service took their
        // batches as one burst of producers × batch readings each interval.
        const phase = (opts.producers - p) / opts.producers;
        const due = () => (perProducerRate === 0 ? Number.POSITIVE_INFINITY : Math.floor(((performance.now() - startedAt) / 1000) * (perProducerRate / opts.batch) + phase));
        if (perProducerRate > 0) {
          // Batches not yet sent that were due during the warm-up (the service's first seconds: JIT,
          // threads starting) are dropped from the clock, not sent late: else the measured seconds
          // were offered the rate plus that backlog (108,000/s in one run at 100,000/s), and with
          // `window` capping what is in flight, a backlog at that latency never drained.
          rebases.push(() => {
            sent = Math.max(sent, due());
          });
          const pacer = setInterval(() => {
            // At the stop, this producer may be idle with nothing in flight: no acknowledgement is
            // coming to call send(), so the pacer's last call resolves it.
            if (stop) clearInterval(pacer);
            send();
          }, 2);
        }
        const send = () => {
          while (!stop && inFlight < opts.window && sent < due()) {
            sent++;
            const sentClock = clock();
            batch.begin();
            for (let i = 0; i < opts.batch; i++) {
              const s = p * per + offset;
              // A sensor's reading: two decimals, as thermometers and meters report them.
              batch.add(s, T0 + round * 60_000, Math.round((Math.sin(round / 10 + offset) * 10 + 20) * 100));
              sentAt[s * SENT_RING + (round % SENT_RING)] = sentClock;
              if (++offset === per) {
                offset = 0;
                round++;
              }
            }
            // ws copies the message before masking it, so the batch's buffer is free again at once.
            ws.send(batch.end(), { binary: false });
            inFlight++;
          }
          if (stop && inFlight === 0) resolve();
        };
        ws.on('message', (data) => {
          const m = JSON.parse(data.toString()) as { accepted?: number };
          if (measuring) committed += m.accepted ?? 0;
          inFlight--;
          send();
        });
        send();
      }),
  );
  await new Promise((r) => setTimeout(r, 2000));
  for (const rebase of rebases) rebase();
  measuring = true;
  Atomics.store(flags, 0, 1);
  const started = performance.now();
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  measuring = false;
  Atomics.store(flags, 0, 0);
  const elapsed = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(runs);
  for (const ws of producers) ws.close();
  const measured = await new Promise<{ sent: Float64Array; latency: Float64Array }>((resolve) => {
    subscriber.once('message', resolve);
    subscriber.postMessage('stop');
  });
  await subscriber.terminate();
  if (opts.onLatency !== undefined) for (let i = 0; i < measured.sent.length; i++) opts.onLatency(measured.sent[i], measured.latency[i]);
  const latencies = Array.from(measured.latency).sort((a, b) => a - b);
  const q = (f: number) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? Number.NaN;
  return { readingsPerS: committed / elapsed, p50: q(0.5), p99: q(0.99), measured: latencies.length };
}
