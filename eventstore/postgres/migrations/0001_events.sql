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
-- global log in version order. Status: 0 appended, 1 expected version not met, 2 some event
-- IDs already committed (the caller decides between retry and misuse), 3 tombstoned.
CREATE FUNCTION {{schema}}.append_events(
    p_stream   text,
    p_lock     bigint,
    p_expect   smallint, -- 0 any, 1 no stream, 2 stream exists, 3 exact
    p_expected bigint,
    p_ids      uuid[],
    p_types    text[],
    p_data     bytea[],
    p_meta     jsonb[],
    p_channel  text)
RETURNS TABLE (status smallint, version bigint, state smallint, tx_id xid8, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_version bigint   := 0;
    v_state   smallint := 0;
    v_exists  boolean;
    v_n       bigint   := cardinality(p_ids);
    v_rows    bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);

    SELECT s.version, s.state INTO v_version, v_state
      FROM {{schema}}.streams s WHERE s.stream_id = p_stream;
    IF NOT FOUND THEN
        v_version := 0;
        v_state := 0;
    END IF;
    IF v_state = 3 THEN
        RETURN QUERY SELECT 3::smallint, v_version, v_state, NULL::xid8, NULL::bigint;
        RETURN;
    END IF;

    -- One unique-index probe per ID. (The LATERAL ... LIMIT keeps the planner from turning
    -- this into a join that scans the whole table, as a plan cached while the table was
    -- small would.)
    IF EXISTS (SELECT 1 FROM unnest(p_ids) AS i(id),
                    LATERAL (SELECT 1 FROM {{schema}}.events e WHERE e.event_id = i.id LIMIT 1) AS found) THEN
        RETURN QUERY SELECT 2::smallint, v_version, v_state, NULL::xid8, NULL::bigint;
        RETURN;
    END IF;

    v_exists := v_state = 1;
    IF NOT (p_expect = 0
            OR (p_expect = 1 AND NOT v_exists)
            OR (p_expect = 2 AND v_exists)
            OR (p_expect = 3 AND v_exists AND v_version = p_expected)) THEN
        RETURN QUERY SELECT 1::smallint, v_version, v_state, NULL::xid8, NULL::bigint;
        RETURN;
    END IF;

    IF v_state = 0 THEN
        INSERT INTO {{schema}}.streams (stream_id, version) VALUES (p_stream, v_n);
    ELSE
        UPDATE {{schema}}.streams s
           SET version = v_version + v_n, state = 1, updated_at = now()
         WHERE s.stream_id = p_stream AND s.version = v_version;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows <> 1 THEN
            RAISE EXCEPTION 'esgen: stream % changed during an append that held its lock', p_stream
                USING ERRCODE = 'serialization_failure';
        END IF;
    END IF;

    INSERT INTO {{schema}}.events (stream_id, stream_version, event_id, event_type, data, metadata)
    SELECT p_stream, v_version + u.ord, u.id, u.typ, u.dat, u.meta
      FROM unnest(p_ids, p_types, p_data, p_meta) WITH ORDINALITY AS u(id, typ, dat, meta, ord)
     ORDER BY u.ord;

    IF p_channel IS NOT NULL THEN
        PERFORM pg_notify(p_channel, '');
    END IF;

    RETURN QUERY SELECT 0::smallint, v_version + v_n, 1::smallint, pg_current_xact_id(),
        currval('{{schema}}.events_global_position_seq');
END
$fn$;
