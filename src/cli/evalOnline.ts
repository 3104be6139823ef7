import { basename, extname } from 'node:path';
import type { Logger } from 'pino';
import { createBackendRegistry } from '../backend/backendRegistry.ts';
import { selectBackend } from '../backend/selectBackend.ts';
import type { Config } from '../config.ts';
import { UsageError } from '../errors.ts';
import { readCsv } from '../ingest/csvReplay.ts';
import { ETT_SPLIT, type HorizonFigures, runOnlineEval } from '../train/onlineEval.ts';
import { progressBar } from './progressBar.ts';

/** The longest horizon accepted: the head forecasts every step up to it. */
export const MAX_HORIZON = 336;

/** Parses `--horizon 1,24,48`. @throws UsageError */
export function parseHorizons(text: string): number[] {
  const hs = text.split(',').map((s) => Number(s.trim()));
  if (hs.length === 0 || !hs.every((h) => Number.isInteger(h) && h >= 1 && h <= MAX_HORIZON)) {
    throw new UsageError(`--horizon takes whole numbers of rows from 1 to ${MAX_HORIZON}, comma-separated; got "${text}"`);
  }
  return [...new Set(hs)].sort((a, b) => a - b);
}

/**
 * `forecaster eval online --data FILE.csv --horizon 1,24,48 [--json]`: the
 * test-then-train protocol on a multi-column CSV, each column a stream; prints
 * MSE and MAE per horizon beside "repeat the last value". With `json`, the last
 * line is the figures as one JSON object.
 */
export async function evalOnline(config: Config, log: Logger, file: string, horizons: readonly number[], json: boolean): Promise<void> {
  const backend = await selectBackend(config.backend, createBackendRegistry(), log.child({ component: 'backend' }));
  const table = readCsv(file);
  const dataset = basename(file, extname(file));
  const err = process.stderr;
  err.write(`${dataset}: ${table.streams.length} streams, ${table.ts.length} rows; warm-up on rows [0, ${ETT_SPLIT.trainEnd}), test rows [${ETT_SPLIT.testStart}, ${ETT_SPLIT.testEnd})\n`);
  // Made at the first test row, so its clock and estimate cover the test walk alone.
  let bar: ReturnType<typeof progressBar> | null = null;
  const r = await runOnlineEval(table, {
    horizons,
    onProgress: (p) => {
      if (p.phase === 'test') {
        bar ??= progressBar('eval online (test, learning as it goes)');
        bar(p.done, p.total);
      }
      else if (p.epoch !== undefined) {
        const e = p.epoch;
        err.write(`warm-up epoch ${e.epoch}/${e.epochs}: train loss ${e.trainLoss.toFixed(4)}, validation ${e.validLoss.toFixed(4)}${e.best ? ' (best)' : ''}\n`);
      }
    },
  });
  const out = process.stdout;
  out.write(`\n${dataset}, online test-then-train (leak-free: learning only from values whose time has come), backend ${backend.name}\n`);
  out.write(`${r.streams} streams, ${r.updates} fine-tunes, ${r.promotions} promoted, ${r.seconds.toFixed(0)} s; errors on the z-scored scale, each window's H steps averaged\n\n`);
  out.write(`${'H'.padStart(4)}${'MSE'.padStart(10)}${'MAE'.padStart(10)}${'persist. MSE'.padStart(14)}${'persist. MAE'.padStart(14)}${'MSE vs persist.'.padStart(17)}\n`);
  for (const h of horizons) {
    const m = r.model[h];
    const p = r.persistence[h];
    const change = ((m.mse - p.mse) / p.mse) * 100;
    out.write(`${String(h).padStart(4)}${f3(m.mse).padStart(10)}${f3(m.mae).padStart(10)}${f3(p.mse).padStart(14)}${f3(p.mae).padStart(14)}${`${change > 0 ? '+' : ''}${change.toFixed(1)}%`.padStart(17)}\n`);
  }
  if (json) {
    const pick = (figs: Record<number, HorizonFigures>, key: 'mse' | 'mae') => Object.fromEntries(horizons.map((h) => [String(h), round(figs[h][key])]));
    out.write(
      `${JSON.stringify({
        eval: 'online',
        dataset,
        mse: pick(r.model, 'mse'),
        mae: pick(r.model, 'mae'),
        persistence_mse: pick(r.persistence, 'mse'),
        persistence_mae: pick(r.persistence, 'mae'),
        updates: r.updates,
        promotions: r.promotions,
        seconds: Math.round(r.seconds),
      })}\n`,
    );
  }
}

function f3(v: number): string {
  return v.toFixed(3);
}

function round(v: number): number {
  return Math.round(v * 10000) / 10000;
}
