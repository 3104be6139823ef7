-- Streams, readings, forecasts, alerts, model checkpoints, per-stream states, training runs.
-- Times are epoch milliseconds (INTEGER); an applied migration is never edited.

-- norm_*: the stream's normaliser (online mean, variance, readings taken) as of its
-- last state snapshot; the full engine state is in stream_states.
CREATE TABLE streams (
  id          INTEGER PRIMARY KEY,
  key         TEXT    NOT NULL UNIQUE,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  norm_mean   REAL,
  norm_var    REAL,
  norm_count  INTEGER
);

-- Every accepted reading, in acceptance order: id is the replay order after a crash.
CREATE TABLE readings (
  id         INTEGER PRIMARY KEY,
  stream_id  INTEGER NOT NULL REFERENCES streams(id),
  ts         INTEGER NOT NULL,
  value      REAL    NOT NULL
);
CREATE INDEX readings_stream_ts ON readings(stream_id, ts);

-- One row per reading and horizon. id = reading_id * 16 + the horizon's index, so rows
-- are appended in reading order (the cheap way into a B-tree) and a reading's forecasts
-- are one id range. By stream and time, go through readings(stream_id, ts):
--   SELECT f.* FROM readings r JOIN forecasts f ON f.id BETWEEN r.id * 16 AND r.id * 16 + 15
--   WHERE r.stream_id = ? AND r.ts BETWEEN ? AND ?
CREATE TABLE forecasts (
  id             INTEGER PRIMARY KEY,
  reading_id     INTEGER NOT NULL,
  stream_id      INTEGER NOT NULL,
  made_at        INTEGER NOT NULL,
  horizon        INTEGER NOT NULL,
  target_ts      INTEGER,
  mean           REAL    NOT NULL,
  lower          REAL    NOT NULL,
  upper          REAL    NOT NULL,
  model_version  INTEGER NOT NULL
);

CREATE TABLE alerts (
  id          INTEGER PRIMARY KEY,
  stream_id   INTEGER NOT NULL REFERENCES streams(id),
  opened_at   INTEGER NOT NULL,
  resolved_at INTEGER,
  severity    TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  score       REAL    NOT NULL,
  details     TEXT
);
CREATE INDEX alerts_stream_opened ON alerts(stream_id, opened_at);
CREATE INDEX alerts_open ON alerts(resolved_at) WHERE resolved_at IS NULL;

CREATE TABLE model_checkpoints (
  version       INTEGER PRIMARY KEY,
  parent        INTEGER REFERENCES model_checkpoints(version),
  created_at    INTEGER NOT NULL,
  architecture  TEXT    NOT NULL,   -- JSON: the model spec
  weights       BLOB    NOT NULL,   -- the model file format (src/model/modelFile.ts)
  data_from     INTEGER,
  data_to       INTEGER,
  metrics       TEXT,               -- JSON
  status        TEXT    NOT NULL CHECK (status IN ('live', 'candidate', 'retired'))
);
CREATE UNIQUE INDEX model_checkpoints_one_live ON model_checkpoints(status) WHERE status = 'live';

-- A stream's engine state as of its last_reading_id (that reading included).
CREATE TABLE stream_states (
  stream_id        INTEGER PRIMARY KEY REFERENCES streams(id),
  model_version    INTEGER NOT NULL,
  state            BLOB    NOT NULL,   -- src/engine/streamStateCodec.ts
  last_reading_id  INTEGER NOT NULL,
  saved_at         INTEGER NOT NULL
);

CREATE TABLE training_runs (
  id            INTEGER PRIMARY KEY,
  started_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  status        TEXT    NOT NULL,
  base_version  INTEGER,
  result_version INTEGER,
  data_from     INTEGER,
  data_to       INTEGER,
  metrics       TEXT
);
