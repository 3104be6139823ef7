import type { Db } from './openDatabase.ts';
import { POINT_FIELDS, writePoint } from './forecastPoints.ts';

/** Old rows read per statement: bounded memory on a database of any size. */
const PAGE = 50_000;

/**
 * The data step of migration 3: moves the per-horizon rows of `forecasts_v1`
 * (id = reading_id × 16 + horizon index) into the per-reading `forecasts`
 * table, then drops `forecasts_v1`. Runs inside the migration's transaction;
 * `onProgress` hears the old rows converted so far after each page.
 */
export function convertForecastsV1(db: Db, onProgress: (done: number, total: number) => void = () => {}): void {
  const total = (db.prepare('SELECT count(*) AS n FROM forecasts_v1').get() as { n: number }).n;
  let done = 0;
  const page = db.prepare<[number, number], V1Row>(
    'SELECT id, reading_id, made_at, horizon, target_ts, mean, lower, upper, model_version FROM forecasts_v1 WHERE id > ? ORDER BY id LIMIT ?',
  );
  const insert = db.prepare('INSERT INTO forecasts (reading_id, made_at, model_version, points) VALUES (?, ?, ?, ?)');
  let group: V1Row[] = [];
  const flush = (): void => {
    if (group.length === 0) return;
    const points = new Float64Array(group.length * POINT_FIELDS);
    group.forEach((r, j) => writePoint(points, j * POINT_FIELDS, r.horizon, r.target_ts, r.mean, r.lower, r.upper));
    insert.run(group[0].reading_id, group[0].made_at, group[0].model_version, Buffer.from(points.buffer));
    group = [];
  };
  for (let after = -1; ; ) {
    const rows = page.all(after, PAGE);
    for (const r of rows) {
      if (group.length > 0 && group[0].reading_id !== r.reading_id) flush();
      group.push(r);
    }
    done += rows.length;
    onProgress(done, total);
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].id;
  }
  flush();
  db.exec('DROP TABLE forecasts_v1');
}

interface V1Row {
  readonly id: number;
  readonly reading_id: number;
  readonly made_at: number;
  readonly horizon: number;
  readonly target_ts: number | null;
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
  readonly model_version: number;
}
