import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { microBatch } from '../../src/ingest/microBatch.ts';

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('microBatch', () => {
  it('emits a group as soon as it holds maxSize values', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abc-----|');
      expectObservable(source.pipe(microBatch(3, 100))).toBe('--x-----|', { x: ['a', 'b', 'c'] });
    });
  });

  it('emits a partial group maxWait after its first value arrived', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold('a-b 10ms c 20ms |');
      // a at 0, b at 2: flushed at 5 (0 + 5ms); c at 13 flushed at 18.
      expectObservable(source.pipe(microBatch(10, 5, ts))).toBe('5ms x 12ms y 15ms |', { x: ['a', 'b'], y: ['c'] });
    });
  });

  it('never emits an empty group', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('50ms |').pipe(microBatch(10, 5, ts))).toBe('50ms |');
    });
  });

  it('flushes what it holds when the source completes', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|').pipe(microBatch(10, 50, ts))).toBe('--(x|)', { x: ['a', 'b'] });
    });
  });

  it('flushes what it holds before passing on an error, so nothing taken in is lost', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab#').pipe(microBatch(10, 50, ts))).toBe('--(x#)', { x: ['a', 'b'] });
    });
  });

  it('cancels its timer when unsubscribed', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a----').pipe(microBatch(10, 3, ts)), '^-!').toBe('---');
    });
  });
});
