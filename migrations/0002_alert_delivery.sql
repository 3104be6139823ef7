-- Alerts are upserted by identity (stream, kind, opening time), so an escalation or
-- resolution updates its row. Webhook deliveries go through a durable outbox, written in
-- the same transaction as the alert, so a restart loses none; deliveries that keep failing
-- move to the dead-letter table.
CREATE UNIQUE INDEX alerts_identity ON alerts(stream_id, kind, opened_at);

CREATE TABLE alert_outbox (
  id              INTEGER PRIMARY KEY,
  alert_key       TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  created_at      INTEGER NOT NULL
);
CREATE INDEX alert_outbox_due ON alert_outbox(next_attempt_at);

CREATE TABLE alert_dead_letters (
  id         INTEGER PRIMARY KEY,
  alert_key  TEXT    NOT NULL,
  payload    TEXT    NOT NULL,
  attempts   INTEGER NOT NULL,
  last_error TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  failed_at  INTEGER NOT NULL
);
