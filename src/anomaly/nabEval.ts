import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Engine } from '../engine/engine.ts';
import { stepTick } from '../engine/stepTicks.ts';
import type { AlertConfig } from './alertConfig.ts';
import { AlertTracker } from './alertTracker.ts';
import { readNabCorpus } from './nabCorpus.ts';
import { NAB_PROFILES, type NabResult, scoreNab } from './nabScore.ts';

/** The detector's name in NAB's results layout (NAB forbids underscores in it). */
export const NAB_DETECTOR = 'forecaster';

export interface NabEvalResult {
  readonly files: number;
  readonly rows: number;
  readonly results: readonly NabResult[];
  readonly seconds: number;
}

/**
 * Runs the live detector over every file of a NAB-layout folder and scores it.
 * Each file is one stream, read once in time order; the files advance together,
 * one reading of each per tick, so no file sees another's future or its own.
 * A row's anomaly_score is its likelihood while its stream has no alert open or
 * cooling down, and 0 while one is (the alert already said it), so NAB counts
 * what a pager would have received. Writes NAB's results layout under `outDir`.
 */
export function runNabEval(
  dataDir: string,
  outDir: string,
  engine: Engine,
  alerts: AlertConfig,
  coverage: number,
  progress: (done: number, total: number) => void,
): NabEvalResult {
  const started = Date.now();
  const files = readNabCorpus(dataDir);
  const tracker = new AlertTracker(alerts);
  const scores = files.map((f) => new Float64Array(f.ts.length));
  const total = files.reduce((n, f) => n + f.ts.length, 0);
  const longest = Math.max(...files.map((f) => f.ts.length));
  let done = 0;
  for (let row = 0; row < longest; row++) {
    const readings: { stream: string; ts: number; value: number }[] = [];
    const owner: number[] = [];
    files.forEach((f, i) => {
      if (row >= f.ts.length) return;
      readings.push({ stream: f.name, ts: f.ts[row], value: f.values[row] });
      owner.push(i);
    });
    const { forecasts } = stepTick(engine, readings, coverage);
    // A refused row (NAB has a few repeated timestamps) has no forecast and scores 0: the live service refuses it too.
    for (let j = 0; j < forecasts.count; j++) {
      const ts = forecasts.ts[j];
      const events = tracker.observe(forecasts, j, ts);
      const opened = events.some((e) => e.status === 'firing' && e.openedAt === ts);
      scores[owner[forecasts.readingIndex[j]]][row] = opened || !tracker.isBusy(forecasts.stream[j], ts) ? forecasts.likelihood[j] : 0;
    }
    done += readings.length;
    if (row % 200 === 0 || row === longest - 1) progress(done, total);
  }
  files.forEach((f, i) => writeResultFile(outDir, f.name, f.ts, f.values, scores[i]));
  const scored = files.map((f, i) => ({ name: f.name, scores: scores[i], windows: f.windows }));
  const results = NAB_PROFILES.map((p) => scoreNab(scored, p));
  return { files: files.length, rows: total, results, seconds: (Date.now() - started) / 1000 };
}

function writeResultFile(outDir: string, name: string, ts: Float64Array, values: Float64Array, scores: Float64Array): void {
  const path = join(outDir, NAB_DETECTOR, dirname(name), `${NAB_DETECTOR}_${basename(name)}`);
  mkdirSync(dirname(path), { recursive: true });
  const lines = ['timestamp,value,anomaly_score'];
  for (let i = 0; i < ts.length; i++) lines.push(`${new Date(ts[i]).toISOString().slice(0, 19).replace('T', ' ')},${values[i]},${scores[i]}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** Published scores of other detectors on exactly these 24 files (../shared/data/README.md). */
export const NAB_PUBLISHED: readonly { name: string; standard: number; lowFp: number | null; lowFn: number | null }[] = [
  { name: 'ARTime', standard: 68.8, lowFp: 60.0, lowFn: 74.1 },
  { name: 'Numenta HTM', standard: 64.9, lowFp: 59.1, lowFn: 69.8 },
  { name: 'CAD OSE', standard: 57.5, lowFp: 53.8, lowFn: 61.4 },
  { name: 'Random Cut Forest', standard: 55.7, lowFp: 43.1, lowFn: 63.6 },
  { name: 'KNN CAD', standard: 53.5, lowFp: null, lowFn: null },
  { name: 'Relative Entropy', standard: 45.3, lowFp: null, lowFn: null },
  { name: 'Twitter ADVec', standard: 39.2, lowFp: null, lowFn: null },
  { name: 'Etsy Skyline', standard: 31.5, lowFp: null, lowFn: null },
  { name: 'Windowed Gaussian', standard: 28.2, lowFp: null, lowFn: null },
  { name: 'null', standard: 0, lowFp: 0, lowFn: 0 },
];
