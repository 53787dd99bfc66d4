-- The event log and the stream table. {{schema}} is replaced by the quoted schema name.

CREATE TABLE {{schema}}.streams (
    stream_id     text        PRIMARY KEY,
    -- Number of events ever appended (kept across soft deletes).
    version       bigint      NOT NULL,
    -- 1 active, 2 soft-deleted, 3 tombstoned.
    state         smallint    NOT NULL DEFAULT 1,
    -- Reads return only versions above this one (the version at the last soft delete).
    truncated_at  bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (state IN (1, 2, 3))
);

CREATE SEQUENCE {{schema}}.events_global_position_seq AS bigint;

CREATE TABLE {{schema}}.events (
    global_position bigint      NOT NULL DEFAULT nextval('{{schema}}.events_global_position_seq'),
    -- The writing transaction. The log is read in (tx_id, global_position) order up to the
    -- oldest running transaction, so a transaction that commits late never lands behind a
    -- reader's checkpoint.
    tx_id           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    data            bytea       NOT NULL,
    metadata        jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_log_order PRIMARY KEY (tx_id, global_position),
    CONSTRAINT events_stream_version UNIQUE (stream_id, stream_version),
    CONSTRAINT events_event_id UNIQUE (event_id)
);

ALTER SEQUENCE {{schema}}.events_global_position_seq OWNED BY {{schema}}.events.global_position;

-- append_events appends one batch to one stream in the calling transaction. It takes the
-- stream's transaction advisory lock before its first write, so the transaction ID is
-- assigned only after the stream's previous writer committed: a stream's events reach the
-- global log in version order. o_status: 0 appended, 1 expected version not met, 2 some
-- event IDs already committed (the caller decides between retry and misuse), 3 tombstoned.
-- o_version and o_state describe the stream (after the append when o_status is 0).
--
-- The common path is three statements: the lock, a compare-and-set UPDATE of the stream
-- row, the INSERT. Event IDs are checked by the unique index: when the INSERT fails on
-- events_event_id, the whole transaction is rolled back and the caller loads the committed
-- events to tell a retry from a misuse. When the version check fails, the IDs are probed
-- first, because a retry of a committed append answers with its original result even after
-- the stream moved on.
CREATE FUNCTION {{schema}}.append_events(
    p_stream   text,
    p_lock     bigint,
    p_expect   smallint, -- 0 any, 1 no stream, 2 stream exists, 3 exact
    p_expected bigint,
    p_ids      uuid[],
    p_types    text[],
    p_data     bytea[],
    p_meta     jsonb[],
    p_channel  text,
    OUT o_status smallint,
    OUT o_version bigint,
    OUT o_state smallint,
    OUT o_tx_id xid8,
    OUT o_last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_n bigint := cardinality(p_ids);
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);

    -- The common case in one statement: compare and set the version of an existing stream
    -- and insert the events after it.
    WITH cas AS (
        UPDATE {{schema}}.streams s
           SET version = s.version + v_n, state = 1, updated_at = now()
         WHERE s.stream_id = p_stream
           AND CASE p_expect
                   WHEN 0 THEN s.state <> 3
                   WHEN 1 THEN s.state = 2
                   WHEN 2 THEN s.state = 1
                   ELSE s.state = 1 AND s.version = p_expected
               END
        RETURNING s.version - v_n AS old),
    ins AS (
        INSERT INTO {{schema}}.events (stream_id, stream_version, event_id, event_type, data, metadata)
        SELECT p_stream, cas.old + u.ord, u.id, u.typ, u.dat, u.meta
          FROM cas, unnest(p_ids, p_types, p_data, p_meta) WITH ORDINALITY AS u(id, typ, dat, meta, ord)
         ORDER BY u.ord
        RETURNING stream_version)
    SELECT max(ins.stream_version) INTO o_version FROM ins;

    IF o_version IS NULL THEN
        SELECT s.version, s.state INTO o_version, o_state
          FROM {{schema}}.streams s WHERE s.stream_id = p_stream;
        IF NOT FOUND THEN
            o_version := 0;
            o_state := 0;
        END IF;
        IF o_state = 3 THEN
            o_status := 3;
            RETURN;
        END IF;
        IF o_state <> 0 OR p_expect NOT IN (0, 1) THEN
            -- One unique-index probe per ID. (The LATERAL ... LIMIT keeps the planner from
            -- turning this into a join that scans the whole table.)
            IF EXISTS (SELECT 1 FROM unnest(p_ids) AS i(id),
                            LATERAL (SELECT 1 FROM {{schema}}.events e WHERE e.event_id = i.id LIMIT 1) AS found) THEN
                o_status := 2;
            ELSE
                o_status := 1;
            END IF;
            RETURN;
        END IF;
        -- A new stream.
        INSERT INTO {{schema}}.streams (stream_id, version) VALUES (p_stream, v_n);
        INSERT INTO {{schema}}.events (stream_id, stream_version, event_id, event_type, data, metadata)
        SELECT p_stream, u.ord, u.id, u.typ, u.dat, u.meta
          FROM unnest(p_ids, p_types, p_data, p_meta) WITH ORDINALITY AS u(id, typ, dat, meta, ord)
         ORDER BY u.ord;
        o_version := v_n;
    END IF;

    IF p_channel IS NOT NULL THEN
        PERFORM pg_notify(p_channel, '');
    END IF;

    o_status := 0;
    o_state := 1;
    o_tx_id := pg_current_xact_id();
    o_last_position := currval('{{schema}}.events_global_position_seq');
END
$fn$;
