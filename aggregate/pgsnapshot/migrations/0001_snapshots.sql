-- One row per (stream, snapshot type): the latest snapshot of an aggregate.
CREATE TABLE IF NOT EXISTS {{schema}}.aggregate_snapshots (
    stream_id      text        NOT NULL,
    snapshot_type  text        NOT NULL,
    schema_version integer     NOT NULL,
    stream_version bigint      NOT NULL CHECK (stream_version > 0),
    event_id       uuid,
    data           bytea       NOT NULL,
    taken_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_id, snapshot_type)
);
