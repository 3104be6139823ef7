import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived a full
 * collection before it starts the next one, in percent (V8's own choice,
 * from its allocation rate, goes down to ~10 %).
 *
 * The live service keeps little in the old generation between ticks, but
 * each tick's buffers (forecast columns, feed frames) are tens of megabytes a
 * second of memory outside the heap, which V8 counts against the same limit.
 * With V8's own factor the old generation sat ~30 MB under its limit and a
 * full collection started every ~250 ms at 100,000 readings/s; at 200 %
 * (bench:e2e, four pairs) they came ~1 s apart, and the main thread's GC time
 * went from 41-65 to 19-29 ms a second. Memory costs at most twice the live
 * old generation more (~100 MB at 10,000 streams).
 */
export const SERVICE_HEAP_GROWING_PERCENT = 200;

/** Sets V8's heap growing factor for this process (it takes effect at the next full collection). */
export function setHeapGrowth(percent: number): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
