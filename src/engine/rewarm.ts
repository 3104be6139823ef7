import type { Engine } from './engine.ts';

/** A stream's latest readings, oldest first. */
export type History = (key: string) => readonly { readonly ts: number; readonly value: number }[];

/**
 * Gives each of `keys` a fresh state under the engine's current weights and
 * replays its latest readings through it, one batched step per position (the
 * i-th reading of every stream together), so its state is what the new model
 * would have after those readings. Returns the readings replayed.
 */
export function rewarm(engine: Engine, keys: readonly string[], history: History): number {
  const all = keys.map((key) => ({ key, rows: history(key) }));
  for (const key of keys) engine.table.remove(key);
  const longest = all.reduce((n, h) => Math.max(n, h.rows.length), 0);
  let replayed = 0;
  for (let i = 0; i < longest; i++) {
    const tick = [];
    for (const h of all) if (i < h.rows.length) tick.push({ stream: h.key, ts: h.rows[i].ts, value: h.rows[i].value });
    replayed += engine.step(tick).count;
  }
  return replayed;
}
