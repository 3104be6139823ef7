import { ConfigError } from '../errors.ts';
import { CronSchedule } from '../jobs/cronSchedule.ts';

export interface TrainingConfig {
  /** Readings of each active stream replayed under new weights when a model is promoted or rolled back. */
  readonly rewarmReadings: number;
  /** Seconds between background retraining runs in the service; 0 turns the timer off. */
  readonly intervalS: number;
  /** Held-back NLL improvement (nats) a candidate needs to be promoted. */
  readonly margin: number;
  /** Retrain after this many new readings (committed since the last run started); 0 turns it off. */
  readonly everyReadings: number;
  /** Cron schedule (5 fields, UTC) of the nightly retraining; empty turns it off. */
  readonly schedule: string;
}

export const DEFAULT_TRAINING: TrainingConfig = { rewarmReadings: 128, intervalS: 0, margin: 0.01, everyReadings: 0, schedule: '0 3 * * *' };

/** @throws ConfigError naming the first field out of range. */
export function validateTraining(c: TrainingConfig): TrainingConfig {
  const int = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new ConfigError(`training.${name} must be an integer in [${min}, ${max}]; got ${v}`);
  };
  int('rewarmReadings', c.rewarmReadings, 1, 100_000);
  int('intervalS', c.intervalS, 0, 30 * 86_400);
  int('everyReadings', c.everyReadings, 0, Number.MAX_SAFE_INTEGER);
  if (!(typeof c.margin === 'number' && c.margin >= 0)) throw new ConfigError(`training.margin must be 0 or more; got ${c.margin}`);
  if (c.schedule !== '') new CronSchedule(c.schedule); // throws ConfigError when malformed
  return c;
}
