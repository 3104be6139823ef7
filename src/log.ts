import { destination, pino, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

/**
 * The root logger (JSON lines); components take `log.child({ component })`.
 * `to` is the file descriptor to write to: 1 (stdout) by default, 2 when stdout carries data.
 */
export function createLogger(level: LogLevel, to: 1 | 2 = 1): Logger {
  return pino({ level }, destination({ dest: to, sync: true }));
}
