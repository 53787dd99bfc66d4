CREATE TABLE projection_checkpoints (
    projection TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    pos_tx     INTEGER NOT NULL DEFAULT 0,
    pos        INTEGER NOT NULL DEFAULT 0,
    active     INTEGER NOT NULL DEFAULT 0,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (projection, version)
) STRICT;
CREATE UNIQUE INDEX projection_checkpoints_one_active ON projection_checkpoints (projection) WHERE active;

CREATE TABLE projection_leases (
    key        TEXT    PRIMARY KEY,
    owner      TEXT    NOT NULL,
    epoch      INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE projection_dead_letters (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    projection     TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    event_id       TEXT    NOT NULL,
    stream_id      TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    pos_tx         INTEGER NOT NULL,
    pos            INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    data           BLOB    NOT NULL,
    metadata       BLOB    NOT NULL,
    recorded_ms    INTEGER NOT NULL,
    error          TEXT    NOT NULL,
    attempts       INTEGER NOT NULL,
    failed_ms      INTEGER NOT NULL
) STRICT;
CREATE INDEX projection_dead_letters_by_projection ON projection_dead_letters (projection, id);

CREATE TABLE projection_snapshots (
    projection     TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    pos_tx         INTEGER NOT NULL,
    pos            INTEGER NOT NULL,
    schema_version INTEGER NOT NULL,
    data           BLOB    NOT NULL,
    saved_ms       INTEGER NOT NULL,
    PRIMARY KEY (projection, version)
) STRICT;
