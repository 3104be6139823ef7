import type { Logger } from 'pino';
import { NAB_PUBLISHED, runNabEval } from '../anomaly/nabEval.ts';
import type { Config } from '../config.ts';
import { progressBar } from './progressBar.ts';
import { withEngine } from './withEngine.ts';

/**
 * `forecaster eval nab --data DIR [--out DIR] [--json]`: the live detector over a
 * NAB-layout folder, scored with NAB's method, printed beside the published
 * detectors. With `json`, the last line is the figures as one JSON object.
 */
export async function evalNab(config: Config, log: Logger, dataDir: string, outDir: string, json: boolean): Promise<void> {
  await withEngine(config, log, (engine) => {
    const r = runNabEval(dataDir, outDir, engine, config.alerts, config.engine.intervalCoverage, progressBar('eval nab'));
    const [standard, lowFp, lowFn] = r.results;
    const out = process.stdout;
    out.write(`\nNAB on ${r.files} files (${r.rows} rows) in ${r.seconds.toFixed(1)} s; results in ${outDir}\n\n`);
    out.write(`${'detector'.padEnd(22)}${'standard'.padStart(10)}${'low FP'.padStart(10)}${'low FN'.padStart(10)}\n`);
    const row = (name: string, a: number | null, b: number | null, c: number | null) =>
      out.write(`${name.padEnd(22)}${fmt(a).padStart(10)}${fmt(b).padStart(10)}${fmt(c).padStart(10)}\n`);
    row('forecaster (this run)', standard.score, lowFp.score, lowFn.score);
    for (const p of NAB_PUBLISHED) row(p.name, p.standard, p.lowFp, p.lowFn);
    out.write(`\nstandard profile: threshold ${standard.threshold.toFixed(4)}, ${standard.tp} windows found, ${standard.fn} missed, ${standard.fp} false positives\n`);
    if (json) {
      out.write(
        `${JSON.stringify({ eval: 'nab', files: r.files, rows: r.rows, standard: round(standard.score), low_fp: round(lowFp.score), low_fn: round(lowFn.score), seconds: round(r.seconds) })}\n`,
      );
    }
  });
}

function fmt(v: number | null): string {
  return v === null ? '—' : v.toFixed(1);
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
