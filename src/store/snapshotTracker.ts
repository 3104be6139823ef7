import type { Engine } from '../engine/engine.ts';
import type { StreamState } from '../engine/stateTable.ts';
import type { SnapshotItem, StateSnapshots } from './stateSnapshots.ts';

/**
 * Knows, for each stream, the id of the last stored reading its in-memory state
 * includes, and which streams changed since the last snapshot; saves those.
 */
export class SnapshotTracker {
  private readonly lastReadingId = new Map<string, number>();
  private readonly dirty = new Set<string>();

  /**
   * `committedIdOf`: where the last reading ids of committed ticks are kept
   * instead of `afterTick` (the writer thread's writer, by code: no Map work per
   * reading; the main thread knows what changed and sends the states to save);
   * recovered streams' ids are kept here, and a committed id wins.
   */
  constructor(
    private readonly snapshots: StateSnapshots,
    private readonly committedIdOf?: (key: string) => number | undefined,
  ) {}

  /** Records a committed tick (its readings are in the engine's state already). */
  afterTick(written: { readonly lastReadingIds: ReadonlyMap<string, number> }): void {
    for (const [key, id] of written.lastReadingIds) {
      this.lastReadingId.set(key, id);
      this.dirty.add(key);
    }
  }

  /** Records where a recovered stream stands; `replayed` when it is past its stored snapshot. */
  recovered(key: string, lastReadingId: number, replayed: boolean): void {
    this.lastReadingId.set(key, lastReadingId);
    if (replayed) this.dirty.add(key);
  }

  /** The streams changed since the last snapshot, forgetting them. */
  takeDirty(): string[] {
    const keys = [...this.dirty];
    this.dirty.clear();
    return keys;
  }

  lastIdOf(key: string): number | undefined {
    return this.committedIdOf?.(key) ?? this.lastReadingId.get(key);
  }

  /** Saves the state of every stream changed since the last snapshot. Returns how many. */
  snapshot(engine: Engine): number {
    const states: StreamState[] = [];
    for (const key of this.dirty) {
      const state = engine.table.exportState(key);
      if (state !== undefined) states.push(state);
    }
    this.dirty.clear();
    return this.saveStates(states, engine.modelVersion);
  }

  /** Saves `states`, each with the last stored reading it includes (states of streams with none are skipped). */
  saveStates(states: readonly StreamState[], modelVersion: number): number {
    const items = this.itemsOf(states);
    this.snapshots.save(items, modelVersion);
    return items.length;
  }

  /** `states`, each with the last stored reading it includes as of now; streams with none are left out. */
  itemsOf(states: readonly StreamState[]): SnapshotItem[] {
    const items: SnapshotItem[] = [];
    for (const state of states) {
      const id = this.lastIdOf(state.key);
      if (id !== undefined) items.push({ state, lastReadingId: id });
    }
    return items;
  }
}
