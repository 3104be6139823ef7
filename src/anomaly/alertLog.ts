import type { Logger } from 'pino';
import type { AlertEvent } from './alertTracker.ts';

/** Alert events of one batch logged a line each at info; the rest of a larger batch go to debug. */
export const ALERT_LINES_PER_BATCH = 10;

/**
 * Logs a batch of alert events: a line each for the first ALERT_LINES_PER_BATCH,
 * then, for a larger batch (an outage that trips thousands of streams at once),
 * one summary line with the counts by status and severity, the remaining events
 * at debug. Thousands of lines at once used to stall the service: a synchronous
 * log write to a pipe that is not drained fast enough blocks the event loop.
 * Every event is stored and sent on the feed whatever is logged.
 */
export function logAlertEvents(log: Logger, events: readonly AlertEvent[]): void {
  const counts: Record<string, number> = {};
  events.forEach((e, i) => {
    const fields = { id: e.id, stream: e.stream, status: e.status, kind: e.kind, severity: e.severity, summary: e.summary };
    if (i < ALERT_LINES_PER_BATCH) return log.info(fields, `alert ${e.status}`);
    log.debug(fields, `alert ${e.status}`);
    counts[`${e.status}/${e.severity}`] = (counts[`${e.status}/${e.severity}`] ?? 0) + 1;
  });
  const rest = events.length - ALERT_LINES_PER_BATCH;
  if (rest <= 0) return;
  log.info({ more: rest, counts }, `${rest} more alert events in this batch (logged at debug; all are in the alerts table and on the feed)`);
}
