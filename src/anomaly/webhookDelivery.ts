import type { Logger } from 'pino';
import type { WebhookConfig } from './alertConfig.ts';

/** One webhook delivery waiting in the outbox. */
export interface OutboxRow {
  readonly id: number;
  readonly alertKey: string;
  readonly payload: string;
  readonly attempts: number;
}

/** What the delivery needs of the outbox (the store's AlertStore, on the writer thread). */
export interface Outbox {
  due(now: number, limit: number): OutboxRow[];
  delivered(id: number): void;
  /** The earliest retry time waiting, or null when the outbox is empty. */
  nextAttemptAt(): number | null;
  failed(id: number, attempts: number, error: string, nextAt: number, dead: boolean, now: number): void;
}

const BATCH = 100;

/**
 * Posts the outbox's deliveries to the webhook, oldest first and one at a time,
 * so a receiver sees each alert's events in order. A 2xx answer removes the
 * delivery; anything else (or no answer within `timeoutMs`) is retried with
 * exponential backoff (doubling from `backoffMs` up to `maxBackoffMs`), and after
 * `maxAttempts` the delivery moves to the dead-letter table. While one delivery
 * fails, the later ones wait behind it, which keeps the order.
 */
export class WebhookDelivery {
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** While a failed delivery waits for its retry, nothing newer is sent (order is kept). */
  private blockedUntil = 0;

  constructor(private readonly outbox: Outbox, private readonly config: WebhookConfig, private readonly log: Logger, private readonly now: () => number = Date.now) {}

  /** Delivers what is due now (call after queuing new deliveries, and once at start-up). */
  kick(): void {
    if (this.stopped || this.now() < this.blockedUntil) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.pump().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const rows = this.outbox.due(this.now(), BATCH);
      if (rows.length === 0) {
        // A timer may fire a moment before the clock reaches the retry time: wait for the earliest one.
        const next = this.outbox.nextAttemptAt();
        if (next !== null) this.schedule(Math.max(1, next - this.now()));
        return;
      }
      for (const row of rows) {
        const error = await this.post(row.payload);
        if (this.stopped) return;
        if (error === null) {
          this.outbox.delivered(row.id);
          continue;
        }
        const attempts = row.attempts + 1;
        const dead = attempts >= this.config.maxAttempts;
        const delay = Math.min(this.config.maxBackoffMs, this.config.backoffMs * 2 ** (attempts - 1));
        this.outbox.failed(row.id, attempts, error, this.now() + delay, dead, this.now());
        if (dead) {
          this.log.error({ alert: row.alertKey, attempts, error }, 'alert webhook delivery failed for good; kept in alert_dead_letters');
          continue;
        }
        this.log.warn({ alert: row.alertKey, attempts, retryInMs: delay, error }, 'alert webhook delivery failed; will retry');
        this.blockedUntil = this.now() + delay;
        this.schedule(delay);
        return; // later deliveries wait behind this one
      }
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.blockedUntil = 0;
      this.kick();
    }, delayMs);
  }

  /** Posts one payload; returns null on a 2xx answer, else what went wrong. */
  private async post(payload: string): Promise<string | null> {
    try {
      const res = await fetch(this.config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  }
}
