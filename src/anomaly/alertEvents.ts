import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { TickForecasts } from '../engine/tickForecasts.ts';
import type { AlertEvent, AlertTracker } from './alertTracker.ts';

/**
 * From each tick's forecasts to the alert events they cause, in order, one
 * array per tick that causes any; also sweeps for silent streams every
 * `sweepMs` on `scheduler` (wall clock, or virtual time in tests). Completes
 * with its source.
 */
export function alertEvents(tracker: AlertTracker, sweepMs: number, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<TickForecasts, AlertEvent[]> {
  return (source) =>
    new Observable<AlertEvent[]>((subscriber) => {
      const sweep = scheduler.schedule(function () {
        const missing = tracker.sweep(scheduler.now());
        if (missing.length > 0) subscriber.next(missing);
        this.schedule(undefined, sweepMs);
      }, sweepMs);
      const sub = source.subscribe({
        next: (forecasts) => {
          const now = scheduler.now();
          const events: AlertEvent[] = [];
          for (let j = 0; j < forecasts.count; j++) tracker.observe(forecasts, j, now, events);
          if (events.length > 0) subscriber.next(events);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        sweep.unsubscribe();
        sub.unsubscribe();
      };
    });
}
