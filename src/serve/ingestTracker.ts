import { eachReading, type Tick } from '../engine/stepTicks.ts';

export interface ItemRejection {
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly rejections: readonly ItemRejection[];
}

interface Pending {
  remaining: number;
  accepted: number;
  readonly rejections: ItemRejection[];
  readonly resolve: (r: IngestResult) => void;
  readonly reject: (e: Error) => void;
}

/**
 * Each tracked item carries its request and its index in it under these keys.
 * Symbols cannot come from JSON, so a client cannot forge them, and JSON.stringify
 * skips them. Cheaper than a side table, which costs a hash per reading twice.
 */
const PENDING = Symbol('pending');
const INDEX = Symbol('index');
type Ticketed = { [PENDING]?: Pending; [INDEX]?: number };

/**
 * Follows the readings of each request through the pipeline and answers the
 * request once every one of them is committed (or refused). Counts readings in
 * flight, which bounds the memory ingest may take.
 */
export class IngestTracker {
  private readonly open = new Set<Pending>();
  inFlight = 0;

  /**
   * Registers a request's items; `early` holds items refused before the engine
   * (index and reason). Resolves after commit with the per-item answer.
   */
  track(items: readonly object[], indexes: readonly number[], early: readonly ItemRejection[]): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      const pending: Pending = { remaining: items.length, accepted: 0, rejections: [...early], resolve, reject };
      if (items.length === 0) {
        this.finish(pending);
        return;
      }
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as Ticketed;
        item[PENDING] = pending;
        item[INDEX] = indexes[i];
      }
      this.inFlight += items.length;
      this.open.add(pending);
    });
  }

  /** Takes a committed tick: answers the requests whose last reading it holds. */
  committed(tick: Tick): void {
    eachReading(tick, (reading, _, refused) => {
      const r = reading as Ticketed | null;
      if (typeof r !== 'object' || r === null) return;
      const p = r[PENDING];
      if (p === undefined) return;
      r[PENDING] = undefined;
      this.inFlight--;
      if (refused === null) p.accepted++;
      else p.rejections.push({ index: r[INDEX] ?? -1, code: refused.code, message: refused.message });
      if (--p.remaining === 0) {
        this.open.delete(p);
        this.finish(p);
      }
    });
  }

  /** Fails every open request (the pipeline stopped before committing them). */
  failAll(err: Error): void {
    for (const p of this.open) p.reject(err);
    this.open.clear();
    this.inFlight = 0;
  }

  private finish(p: Pending): void {
    p.rejections.sort((a, b) => a.index - b.index);
    p.resolve({ accepted: p.accepted, rejected: p.rejections.length, rejections: p.rejections });
  }
}
