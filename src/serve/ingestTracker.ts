import type { Tick } from '../engine/stepTicks.ts';

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
 * Follows the readings of each request through the pipeline and answers the
 * request once every one of them is committed (or refused). Counts readings in
 * flight, which bounds the memory ingest may take.
 */
export class IngestTracker {
  private readonly owner = new WeakMap<object, { pending: Pending; index: number }>();
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
      items.forEach((item, i) => this.owner.set(item, { pending, index: indexes[i] }));
      this.inFlight += items.length;
      this.open.add(pending);
    });
  }

  /** Takes a committed tick: answers the requests whose last reading it holds. */
  committed(tick: Tick): void {
    tick.outcomes.forEach((o, i) => {
      const r = tick.readings[i];
      if (typeof r !== 'object' || r === null) return;
      const own = this.owner.get(r);
      if (own === undefined) return;
      this.owner.delete(r);
      this.inFlight--;
      const p = own.pending;
      if (o.kind === 'forecast') p.accepted++;
      else p.rejections.push({ index: own.index, code: o.code, message: o.message });
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
