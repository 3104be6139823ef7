import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * Groups values into arrays of at most `maxSize`, emitted when full or
 * `maxWaitMs` after the first value of the group arrived, whichever is first.
 * Never emits an empty array. On completion or error of the source, the
 * pending group is emitted first, so nothing taken in is lost.
 */
export function microBatch<T>(maxSize: number, maxWaitMs: number, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let buffer: T[] = [];
      let timer: Subscription | null = null;
      const flush = (): void => {
        if (timer !== null) {
          timer.unsubscribe();
          timer = null;
        }
        if (buffer.length === 0) return;
        const batch = buffer;
        buffer = [];
        subscriber.next(batch);
      };
      const upstream = source.subscribe({
        next: (value) => {
          buffer.push(value);
          if (buffer.length >= maxSize) flush();
          else if (timer === null) timer = scheduler.schedule(flush, maxWaitMs);
        },
        error: (err: unknown) => {
          flush();
          subscriber.error(err);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        upstream.unsubscribe();
        timer?.unsubscribe();
        buffer = [];
      };
    });
}
