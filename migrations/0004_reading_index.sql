-- Readings by stream: a stream-ordered copy of each reading, written in sorted batches in the
-- background instead of an index entry per reading as it commits. readings(stream_id, ts)
-- put each reading into its own stream's leaf page, so every commit wrote a 4 KiB page per
-- reading to the WAL; once the file held more readings than streams, the writer sustained
-- a sixth of what it did without it (bench:store). Now a batch of tens of thousands of
-- readings, sorted by stream, touches each stream's page once (src/store/readingIndex.ts).
--
-- Every reading with id <= reading_index_mark.indexed_to has its row here; later ones (the
-- tail, seconds' worth) may or may not yet, so queries by stream read both: this table up to
-- the mark and readings past it (src/store/streamReadings.ts).
DROP INDEX readings_stream_ts;
CREATE TABLE reading_index (
  stream_id  INTEGER NOT NULL,
  ts         INTEGER NOT NULL,
  id         INTEGER NOT NULL,   -- readings.id
  value      REAL    NOT NULL,
  PRIMARY KEY (stream_id, ts, id)
) WITHOUT ROWID;
CREATE TABLE reading_index_mark (
  one         INTEGER PRIMARY KEY CHECK (one = 1),
  indexed_to  INTEGER NOT NULL
);
INSERT INTO reading_index SELECT stream_id, ts, id, value FROM readings ORDER BY stream_id, ts, id;
INSERT INTO reading_index_mark VALUES (1, (SELECT coalesce(max(id), 0) FROM readings));
