/**
 * Does a crowd of stalled subscribers hurt? The service runs as its own process;
 * the same WebSocket load runs in pairs, each run on a fresh service and file:
 * alone, then with 100 feed clients subscribed to every stream that never read
 * a byte. Compares throughput, p99 send-to-feed latency (of the one live
 * subscriber) and the service's resident memory, pair by pair; the ratios are
 * the medians of the pairs' ratios, because this host's speed drifts from one
 * run to the next (one pair gave a p99 ratio of 3.0 where the next three gave
 * 1.3, 0.84 and 0.94). Last line: one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { type LoadResult, runLoad, startServiceProcess } from './support/serviceHarness.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const SLOW = 100;
const dir = mkdtempSync(join(tmpdir(), 'forecaster-slow-'));
const load = { streams: 10_000, producers: 4, batch: 500, window: 4, seconds: SECONDS, round0: 0 };

interface Run {
  readonly result: LoadResult;
  readonly rssStart: number;
  readonly rss: number;
  readonly closed: number;
}

/**
 * One run on a fresh service and file, with `slow` stalled subscribers. Run after run on one file,
 * the second was 25 % slower with no stalled client at all (a larger database, a snapshot falling
 * in it), which the ratio would have blamed on the stalled clients.
 */
async function run(name: string, slow: number): Promise<Run> {
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
  const result = await runLoad(svc, load);
  const rss = svc.rssMb();
  const closed = stalled.filter((ws) => ws.readyState !== ws.OPEN).length;
  for (const ws of stalled) ws.terminate();
  await svc.stop();
  return { result, rssStart, rss, closed };
}

const pairs: { alone: Run; withSlow: Run }[] = [];
for (let p = 0; p < PAIRS; p++) {
  const alone = await run(`alone-${p}`, 0);
  const withSlow = await run(`slow-${p}`, SLOW);
  pairs.push({ alone, withSlow });
  const a = alone.result;
  const w = withSlow.result;
  process.stdout.write(
    `pair ${p + 1}/${PAIRS}   alone ${Math.round(a.readingsPerS)} readings/s, p99 ${a.p99.toFixed(1)} ms, RSS ${alone.rss.toFixed(0)} MiB | ` +
      `with ${SLOW} stalled ${Math.round(w.readingsPerS)} readings/s, p99 ${w.p99.toFixed(1)} ms, RSS ${withSlow.rss.toFixed(0)} MiB (${withSlow.closed} closed as too slow) | ` +
      `ratios ${(w.readingsPerS / a.readingsPerS).toFixed(2)}, ${(w.p99 / a.p99).toFixed(2)}\n`,
  );
}
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** The median over the pairs of what `pick` takes from each. */
const overPairs = (pick: (p: { alone: Run; withSlow: Run }) => number): number => median(pairs.map(pick));
const throughputRatio = overPairs((p) => p.withSlow.result.readingsPerS / p.alone.result.readingsPerS);
const p99Ratio = overPairs((p) => p.withSlow.result.p99 / p.alone.result.p99);
const round1 = (v: number) => Math.round(v * 10) / 10;
process.stdout.write(`ratios (medians of ${PAIRS} pairs)  throughput ${throughputRatio.toFixed(2)}, p99 ${p99Ratio.toFixed(2)}\n`);
process.stdout.write(
  `${JSON.stringify({
    bench: 'slow_clients',
    slow_clients: SLOW,
    pairs: PAIRS,
    readings_per_s: { without: Math.round(overPairs((p) => p.alone.result.readingsPerS)), with: Math.round(overPairs((p) => p.withSlow.result.readingsPerS)) },
    p99_ms: { without: round1(overPairs((p) => p.alone.result.p99)), with: round1(overPairs((p) => p.withSlow.result.p99)) },
    ratios: { throughput: Math.round(throughputRatio * 100) / 100, p99: Math.round(p99Ratio * 100) / 100 },
    rss_mb: { start: Math.round(overPairs((p) => p.alone.rssStart)), without: Math.round(Math.max(...pairs.map((p) => p.alone.rss))), with: Math.round(Math.max(...pairs.map((p) => p.withSlow.rss))) },
    closed_as_slow: Math.max(...pairs.map((p) => p.withSlow.closed)),
  })}\n`,
);
