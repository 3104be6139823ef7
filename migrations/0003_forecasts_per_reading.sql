-- Forecasts: one row per reading instead of one per reading and horizon. The write path
-- inserted four rows per reading (the reading and three horizons); now two.
-- points: for each horizon in order, five little-endian float64 values — horizon, target
-- time (epoch ms; NaN when not known yet), mean, lower, upper (src/store/forecastPoints.ts).
-- The HTTP API (GET /api/v1/streams/{key}/forecasts) returns them decoded, a row per horizon.
-- By stream and time, go through readings(stream_id, ts):
--   SELECT r.ts, f.* FROM readings r JOIN forecasts f ON f.reading_id = r.id
--   WHERE r.stream_id = ? AND r.ts BETWEEN ? AND ?
-- The rows of the old table are converted by the step registered for this version in
-- src/store/migrate.ts (SQL cannot build the BLOBs), which then drops forecasts_v1.
ALTER TABLE forecasts RENAME TO forecasts_v1;
CREATE TABLE forecasts (
  reading_id     INTEGER PRIMARY KEY,   -- readings.id
  made_at        INTEGER NOT NULL,      -- the reading's timestamp
  model_version  INTEGER NOT NULL,
  points         BLOB    NOT NULL
);
