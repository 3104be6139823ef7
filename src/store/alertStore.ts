import type { AlertEvent, AlertKind, AlertSeverity, RestoredAlert } from '../anomaly/alertTracker.ts';
import type { Outbox, OutboxRow } from '../anomaly/webhookDelivery.ts';
import type { Db } from './openDatabase.ts';
import type { StreamIds } from './streamIds.ts';

/**
 * The alerts table and the webhook outbox. `write` upserts each event's alert
 * by identity and, with a webhook configured, queues its delivery in the same
 * transaction. Used on the writer thread, the one connection that writes.
 */
export class AlertStore implements Outbox {
  private readonly upsert;
  private readonly enqueue;
  private readonly dueRows;
  private readonly remove;
  private readonly retry;
  private readonly toDead;
  private readonly openRows;
  private readonly earliest;
  private readonly bury: (id: number, attempts: number, error: string, now: number) => void;
  private readonly writeAll: (events: readonly AlertEvent[], payloads: readonly string[] | null, now: number) => void;

  constructor(db: Db, private readonly streams: StreamIds) {
    this.upsert = db.prepare(
      `INSERT INTO alerts (stream_id, opened_at, resolved_at, severity, kind, score, details) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(stream_id, kind, opened_at) DO UPDATE SET resolved_at = excluded.resolved_at,
         severity = CASE WHEN severity = 'critical' THEN severity ELSE excluded.severity END,
         score = max(score, excluded.score), details = excluded.details`,
    );
    this.enqueue = db.prepare('INSERT INTO alert_outbox (alert_key, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?)');
    this.dueRows = db.prepare<[number, number], { id: number; alertKey: string; payload: string; attempts: number }>(
      `SELECT id, alert_key AS alertKey, payload, attempts FROM alert_outbox
       WHERE id < coalesce((SELECT min(id) FROM alert_outbox WHERE next_attempt_at > ?), 9223372036854775807) ORDER BY id LIMIT ?`,
    );
    this.remove = db.prepare('DELETE FROM alert_outbox WHERE id = ?');
    this.earliest = db.prepare<[], { at: number | null }>('SELECT next_attempt_at AS at FROM alert_outbox ORDER BY id LIMIT 1');
    this.retry = db.prepare('UPDATE alert_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?');
    this.toDead = db.prepare(
      `INSERT INTO alert_dead_letters (alert_key, payload, attempts, last_error, created_at, failed_at)
       SELECT alert_key, payload, ?, ?, created_at, ? FROM alert_outbox WHERE id = ?`,
    );
    this.openRows = db.prepare<[], { stream: string; kind: AlertKind; openedAt: number; peak: number; severity: AlertSeverity; details: string | null }>(
      `SELECT s.key AS stream, a.kind, a.opened_at AS openedAt, a.score AS peak, a.severity, a.details
       FROM alerts a JOIN streams s ON s.id = a.stream_id WHERE a.resolved_at IS NULL`,
    );
    this.bury = db.transaction((id: number, attempts: number, error: string, now: number) => {
      this.toDead.run(attempts, error, now, id);
      this.remove.run(id);
    });
    this.writeAll = db.transaction((events: readonly AlertEvent[], payloads: readonly string[] | null, now: number) => {
      events.forEach((e, i) => {
        const sid = this.streams.idOf(e.stream, e.openedAt);
        this.upsert.run(sid, e.openedAt, e.resolvedAt, e.severity, e.kind, e.peak, JSON.stringify({ id: e.id, summary: e.summary, value: e.value, expected: e.expected }));
        if (payloads !== null) this.enqueue.run(e.id, payloads[i], now, now);
      });
    });
  }

  /** Upserts the events' alerts and, given `payloads` (one per event), queues their deliveries; all or nothing. */
  write(events: readonly AlertEvent[], payloads: readonly string[] | null, now: number): void {
    try {
      this.writeAll(events, payloads, now);
    } catch (err) {
      this.streams.clear();
      throw err;
    }
  }

  /**
   * The oldest deliveries, in order, up to the first one not due at `now`: a
   * delivery waiting for its retry holds back every later one, so a receiver
   * sees the events in order even when a retry timer fires a moment early.
   */
  due(now: number, limit: number): OutboxRow[] {
    return this.dueRows.all(now, limit);
  }

  /** When the oldest delivery is due (the one holding the rest back); null when the outbox is empty. */
  nextAttemptAt(): number | null {
    return this.earliest.get()?.at ?? null;
  }

  delivered(id: number): void {
    this.remove.run(id);
  }

  /** Records a failed attempt: retried at `nextAt`, or, when `dead`, moved to the dead-letter table. */
  failed(id: number, attempts: number, error: string, nextAt: number, dead: boolean, now: number): void {
    if (!dead) {
      this.retry.run(attempts, nextAt, error, id);
      return;
    }
    this.bury(id, attempts, error, now);
  }

  /** Alerts still open, to carry their lifecycle over a restart. */
  openAlerts(): RestoredAlert[] {
    return this.openRows.all().map((r) => {
      const details = r.details === null ? {} : (JSON.parse(r.details) as { id?: string });
      return { stream: r.stream, id: details.id ?? `${r.stream}@${r.openedAt}`, kind: r.kind, openedAt: r.openedAt, peak: r.peak, severity: r.severity };
    });
  }
}
