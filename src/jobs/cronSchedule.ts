import { ConfigError } from '../errors.ts';

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week, in
 * UTC): `*`, numbers, ranges `a-b`, lists `a,b`, steps `*\/n` and `a-b/n`; day of
 * week 0–7 with 0 and 7 Sunday. As in cron, when both day fields are restricted
 * a day matches if either does.
 */
export class CronSchedule {
  private readonly sets: Set<number>[];
  private readonly domStar: boolean;
  private readonly dowStar: boolean;

  /** @throws ConfigError naming the field that is malformed or out of range. */
  constructor(readonly expression: string) {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5) throw new ConfigError(`cron schedule "${expression}" must have 5 fields (minute hour day month weekday)`);
    const ranges: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];
    this.sets = fields.map((f, i) => parseField(f, ranges[i][0], ranges[i][1], expression));
    if (this.sets[4].has(7)) this.sets[4].add(0);
    this.domStar = fields[2] === '*';
    this.dowStar = fields[4] === '*';
  }

  /** The first minute strictly after `after` that the schedule matches (within about 5 years), or null. */
  next(after: Date): Date | null {
    const t = new Date(after.getTime());
    t.setUTCSeconds(0, 0);
    t.setUTCMinutes(t.getUTCMinutes() + 1);
    const limit = after.getTime() + 5 * 366 * 86_400_000;
    while (t.getTime() <= limit) {
      if (!this.sets[3].has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0);
        continue;
      }
      if (!this.dayMatches(t)) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0);
        continue;
      }
      if (!this.sets[1].has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0);
        continue;
      }
      if (!this.sets[0].has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1);
        continue;
      }
      return t;
    }
    return null;
  }

  private dayMatches(t: Date): boolean {
    const dom = this.sets[2].has(t.getUTCDate());
    const dow = this.sets[4].has(t.getUTCDay());
    if (this.domStar) return dow;
    if (this.dowStar) return dom;
    return dom || dow;
  }
}

function parseField(field: string, min: number, max: number, expression: string): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (m === null) throw new ConfigError(`cron schedule "${expression}": cannot read "${part}"`);
    const lo = m[1] === '*' ? min : Number(m[2]);
    const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi || step < 1) throw new ConfigError(`cron schedule "${expression}": "${part}" is outside ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}
