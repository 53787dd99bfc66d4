-- Streams: one row per stream ever written, deleted or tombstoned.
--   version          number of events ever appended (kept across soft deletes)
--   state            1 active, 2 soft-deleted, 3 tombstoned
--   truncated_before versions up to this one were hidden by a soft delete
CREATE TABLE streams (
    stream_id        TEXT    NOT NULL PRIMARY KEY,
    version          INTEGER NOT NULL,
    state            INTEGER NOT NULL,
    truncated_before INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- Events: the global log. position is the rowid, assigned under SQLite's single write lock,
-- so it increases in commit order with no gaps (events are never deleted). Metadata is kept
-- in columns (NULL when empty) so reads need no JSON decoding and SQL can filter on it;
-- headers is a JSON object.
CREATE TABLE events (
    position           INTEGER NOT NULL PRIMARY KEY,
    stream_id          TEXT    NOT NULL,
    version            INTEGER NOT NULL,
    event_id           BLOB    NOT NULL UNIQUE,
    type               TEXT    NOT NULL,
    data               BLOB,
    recorded_at        INTEGER NOT NULL,
    correlation_id     TEXT,
    causation_id       TEXT,
    trace_parent       TEXT,
    trace_state        TEXT,
    schema_fingerprint INTEGER,
    headers            TEXT,
    UNIQUE (stream_id, version)
) STRICT;
