/**
 * Does a crowd of stalled subscribers hurt? The service runs as its own process;
 * the same WebSocket load runs in pairs, each run on a fresh service and file:
 * alone, then with 100 feed clients subscribed to every stream that never read
 * a byte. Each pair runs the load twice over: closed loop (producers send as
 * fast as acknowledgements allow), for the throughput; and paced at
 * `BENCH_RATE` readings/s, for the p99 send-to-feed latency of the one live
 * subscriber. Closed loop, the service runs saturated, so its latency is the
 * producers' window over the throughput (Little's law) plus the host's jitter:
 * within one such run the p99 of each second ranged 78-207 ms, and single
 * pairs gave p99 ratios from 0.84 to 3.04. Paced below saturation, latency is
 * what a reading costs the service, which is what a stalled client could add.
 * The ratios are the medians of the pairs' ratios, because this host's speed
 * drifts from one run to the next. Memory: the service's resident set, and the
 * host's TCP buffers (`/proc/net/sockstat`), where a stalled client's data
 * waits. Last line: one JSON object.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { type LoadResult, runLoad, startServiceProcess } from './support/serviceHarness.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
/** The paced load: below saturation on this host even on its slow stretches (it saturated at ~105,000/s on one). */
const RATE = Number(process.env.BENCH_RATE ?? 80_000);
const SLOW = 100;
const dir = mkdtempSync(join(tmpdir(), 'forecaster-slow-'));
const load = { streams: 10_000, producers: 4, batch: 500, window: 4, seconds: SECONDS, round0: 0 };

interface Run {
  readonly result: LoadResult;
  readonly rssStart: number;
  readonly rss: number;
  /** The host's TCP buffers at the end of the load, MiB. */
  readonly tcpMb: number;
  readonly closed: number;
}

const tcpMb = (): number => (Number(/TCP:.* mem (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1] ?? Number.NaN) * 4096) / (1 << 20);

/**
 * One run on a fresh service and file, with `slow` stalled subscribers. Run after run on one file,
 * the second was 25 % slower with no stalled client at all (a larger database, a snapshot falling
 * in it), which the ratio would have blamed on the stalled clients.
 */
async function run(name: string, slow: number, rate?: number): Promise<Run> {
  const svc = await startServiceProcess(join(dir, `${name}.db`));
  const rssStart = svc.rssMb();
  const stalled: WebSocket[] = [];
  for (let i = 0; i < slow; i++) {
    const ws = await svc.open('/feed');
    ws.send(JSON.stringify({ type: 'subscribe', streams: ['*'] }));
    // Never read: the socket stops draining, the kernel buffers fill, the server's backlog takes over.
    ws.pause();
    stalled.push(ws);
  }
  const result = await runLoad(svc, { ...load, rate });
  const rss = svc.rssMb();
  const tcp = tcpMb();
  const closed = stalled.filter((ws) => ws.readyState !== ws.OPEN).length;
  for (const ws of stalled) ws.terminate();
  await svc.stop();
  return { result, rssStart, rss, tcpMb: tcp, closed };
}

interface Pair {
  /** Closed loop: throughput. */
  readonly alone: Run;
  readonly withSlow: Run;
  /** Paced at RATE: latency. */
  readonly pacedAlone: Run;
  readonly pacedWithSlow: Run;
}

const pairs: Pair[] = [];
const describe = (r: Run) => `${Math.round(r.result.readingsPerS)} readings/s, p50 ${r.result.p50.toFixed(1)} ms, p99 ${r.result.p99.toFixed(1)} ms, RSS ${r.rss.toFixed(0)} MiB, TCP ${r.tcpMb.toFixed(0)} MiB`;
for (let p = 0; p < PAIRS; p++) {
  const alone = await run(`alone-${p}`, 0);
  const withSlow = await run(`slow-${p}`, SLOW);
  const pacedAlone = await run(`paced-alone-${p}`, 0, RATE);
  const pacedWithSlow = await run(`paced-slow-${p}`, SLOW, RATE);
  pairs.push({ alone, withSlow, pacedAlone, pacedWithSlow });
  process.stdout.write(
    `pair ${p + 1}/${PAIRS}\n` +
      `  closed loop  alone ${describe(alone)}\n` +
      `               with ${SLOW} stalled ${describe(withSlow)} (${withSlow.closed} closed as too slow)\n` +
      `  paced ${RATE}/s  alone ${describe(pacedAlone)}\n` +
      `               with ${SLOW} stalled ${describe(pacedWithSlow)}\n` +
      `  ratios  throughput ${(withSlow.result.readingsPerS / alone.result.readingsPerS).toFixed(2)}, p99 paced ${(pacedWithSlow.result.p99 / pacedAlone.result.p99).toFixed(2)}, p99 closed loop ${(withSlow.result.p99 / alone.result.p99).toFixed(2)}\n`,
  );
}
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** The median over the pairs of what `pick` takes from each. */
const overPairs = (pick: (p: Pair) => number): number => median(pairs.map(pick));
const most = (pick: (p: Pair) => number): number => Math.max(...pairs.map(pick));
const throughputRatio = overPairs((p) => p.withSlow.result.readingsPerS / p.alone.result.readingsPerS);
const p99Ratio = overPairs((p) => p.pacedWithSlow.result.p99 / p.pacedAlone.result.p99);
const closedP99Ratio = overPairs((p) => p.withSlow.result.p99 / p.alone.result.p99);
const round1 = (v: number) => Math.round(v * 10) / 10;
const round2 = (v: number) => Math.round(v * 100) / 100;
process.stdout.write(
  `ratios (medians of ${PAIRS} pairs)  throughput ${throughputRatio.toFixed(2)} (closed loop), p99 ${p99Ratio.toFixed(2)} (paced at ${RATE}/s; closed loop ${closedP99Ratio.toFixed(2)})\n`,
);
process.stdout.write(
  `${JSON.stringify({
    bench: 'slow_clients',
    slow_clients: SLOW,
    pairs: PAIRS,
    paced_rate: RATE,
    readings_per_s: { without: Math.round(overPairs((p) => p.alone.result.readingsPerS)), with: Math.round(overPairs((p) => p.withSlow.result.readingsPerS)) },
    p99_ms: { without: round1(overPairs((p) => p.pacedAlone.result.p99)), with: round1(overPairs((p) => p.pacedWithSlow.result.p99)) },
    p99_closed_loop_ms: { without: round1(overPairs((p) => p.alone.result.p99)), with: round1(overPairs((p) => p.withSlow.result.p99)) },
    ratios: { throughput: round2(throughputRatio), p99: round2(p99Ratio), p99_closed_loop: round2(closedP99Ratio) },
    rss_mb: {
      start: Math.round(overPairs((p) => p.alone.rssStart)),
      without: Math.round(most((p) => Math.max(p.alone.rss, p.pacedAlone.rss))),
      with: Math.round(most((p) => Math.max(p.withSlow.rss, p.pacedWithSlow.rss))),
    },
    tcp_mb: { without: Math.round(most((p) => Math.max(p.alone.tcpMb, p.pacedAlone.tcpMb))), with: Math.round(most((p) => Math.max(p.withSlow.tcpMb, p.pacedWithSlow.tcpMb))) },
    closed_as_slow: most((p) => Math.max(p.withSlow.closed, p.pacedWithSlow.closed)),
  })}\n`,
);
