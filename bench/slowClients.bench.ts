/**
 * Does a crowd of stalled subscribers hurt? The service runs as its own process;
 * the same WebSocket load runs twice in this run, each on a fresh service and
 * file: first alone, then with 100 feed clients subscribed to every stream that
 * never read a byte. Compares
 * throughput, p99 send-to-feed latency (of the one live subscriber) and the
 * service's resident memory. Last line: one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { runLoad, startServiceProcess } from './support/serviceHarness.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const SLOW = 100;
const dir = mkdtempSync(join(tmpdir(), 'forecaster-slow-'));
const load = { streams: 10_000, producers: 4, batch: 500, window: 4, seconds: SECONDS, round0: 0 };

// Each run gets a fresh service on a fresh file: run after run on one file, the second was 25 % slower
// with no stalled client at all (a larger database, a snapshot falling in it), which the ratio would
// have blamed on the stalled clients.
const aloneSvc = await startServiceProcess(join(dir, 'alone.db'));
const rssBefore = aloneSvc.rssMb();
const alone = await runLoad(aloneSvc, load);
const rssAlone = aloneSvc.rssMb();
await aloneSvc.stop();
process.stdout.write(`without stalled clients  ${Math.round(alone.readingsPerS)} readings/s, p99 ${alone.p99.toFixed(1)} ms, service RSS ${rssAlone.toFixed(0)} MiB\n`);

const svc = await startServiceProcess(join(dir, 'slow.db'));
const slow: WebSocket[] = [];
for (let i = 0; i < SLOW; i++) {
  const ws = await svc.open('/feed');
  ws.send(JSON.stringify({ type: 'subscribe', streams: ['*'] }));
  // Never read: the socket stops draining, the kernel buffers fill, the server's backlog takes over.
  ws.pause();
  slow.push(ws);
}
const withSlow = await runLoad(svc, load);
const rssWith = svc.rssMb();
const closed = slow.filter((ws) => ws.readyState !== ws.OPEN).length;
process.stdout.write(`with ${SLOW} stalled clients  ${Math.round(withSlow.readingsPerS)} readings/s, p99 ${withSlow.p99.toFixed(1)} ms, service RSS ${rssWith.toFixed(0)} MiB (${closed} of them closed by the server as too slow)\n`);
process.stdout.write(`ratios                   throughput ${(withSlow.readingsPerS / alone.readingsPerS).toFixed(2)}, p99 ${(withSlow.p99 / alone.p99).toFixed(2)}\n`);
for (const ws of slow) ws.terminate();
await svc.stop();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ bench: 'slow_clients', slow_clients: SLOW, readings_per_s: { without: Math.round(alone.readingsPerS), with: Math.round(withSlow.readingsPerS) }, p99_ms: { without: Math.round(alone.p99 * 10) / 10, with: Math.round(withSlow.p99 * 10) / 10 }, rss_mb: { start: Math.round(rssBefore), without: Math.round(rssAlone), with: Math.round(rssWith) }, closed_as_slow: closed })}\n`,
);
