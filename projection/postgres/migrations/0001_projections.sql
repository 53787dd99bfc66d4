CREATE TABLE {{schema}}.projection_checkpoints (
    projection text        NOT NULL,
    version    integer     NOT NULL,
    pos_tx     bigint      NOT NULL DEFAULT 0,
    pos        bigint      NOT NULL DEFAULT 0,
    active     boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, version)
);
CREATE UNIQUE INDEX projection_checkpoints_one_active ON {{schema}}.projection_checkpoints (projection) WHERE active;

CREATE TABLE {{schema}}.projection_leases (
    key        text        PRIMARY KEY,
    owner      text        NOT NULL,
    epoch      bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE {{schema}}.projection_dead_letters (
    id             bigserial   PRIMARY KEY,
    projection     text        NOT NULL,
    version        integer     NOT NULL,
    event_id       uuid        NOT NULL,
    stream_id      text        NOT NULL,
    stream_version bigint      NOT NULL,
    pos_tx         bigint      NOT NULL,
    pos            bigint      NOT NULL,
    event_type     text        NOT NULL,
    data           bytea       NOT NULL,
    metadata       bytea       NOT NULL,
    recorded_at    timestamptz NOT NULL,
    error          text        NOT NULL,
    attempts       integer     NOT NULL,
    failed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projection_dead_letters_by_projection ON {{schema}}.projection_dead_letters (projection, id);

CREATE TABLE {{schema}}.projection_snapshots (
    projection     text        NOT NULL,
    version        integer     NOT NULL,
    pos_tx         bigint      NOT NULL,
    pos            bigint      NOT NULL,
    schema_version integer     NOT NULL,
    data           bytea       NOT NULL,
    saved_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, version)
);
