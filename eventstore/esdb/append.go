package esdb

import (
	"context"
	"errors"
	"fmt"
	"math"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

// toRevision maps a contract expected version (events counted from 1) onto an EventStoreDB
// expected revision (zero-based event numbers).
func toRevision(e eventstore.ExpectedVersion) esdbclient.ExpectedRevision {
	if n, ok := e.Exact(); ok {
		return esdbclient.Revision(n - 1)
	}
	switch {
	case e.IsNoStream():
		return esdbclient.NoStream{}
	case e.IsStreamExists():
		return esdbclient.StreamExists{}
	}
	return esdbclient.Any{}
}

func (s *Store) contentType(eventType string) esdbclient.ContentType {
	if s.cfg.contentType != nil {
		return s.cfg.contentType(eventType)
	}
	return esdbclient.ContentTypeBinary
}

// Append implements [eventstore.Appender]. See the package documentation for how expected
// versions, event IDs and retries map onto EventStoreDB.
func (s *Store) Append(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := s.checkOpen(ctx); err != nil {
		return eventstore.AppendResult{}, err
	}
	batch, metas, err := eventstore.PrepareAppend(ctx, streamID, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	_, exact := expected.Exact()
	if s.cfg.readBeforeAppend && (exact || callerChoseIDs(events)) {
		res, found, err := s.readBeforeAppend(ctx, streamID, expected, batch)
		if err != nil || found {
			return res, err
		}
	}
	if err := eventstore.BeforeCommit(ctx); err != nil {
		return eventstore.AppendResult{}, err
	}
	data := make([]esdbclient.EventData, len(batch))
	ids := make([]uuid.UUID, len(batch))
	for i, e := range batch {
		ids[i] = e.ID
		data[i] = esdbclient.EventData{
			EventID:     e.ID,
			EventType:   e.Type,
			ContentType: s.contentType(e.Type),
			Data:        e.Data,
			Metadata:    metas[i],
		}
	}
	wr, err := s.client.AppendToStream(ctx, s.wire(streamID), esdbclient.AppendToStreamOptions{ExpectedRevision: toRevision(expected)}, data...)
	if err != nil {
		if hasCode(err, esdbclient.ErrorCodeWrongExpectedVersion) {
			if expected.IsAny() {
				// Any cannot conflict: the server found some of the IDs committed, but not
				// as this append (its "corrupted idempotency" answer).
				return eventstore.AppendResult{}, &eventstore.DuplicateEventError{EventID: batch[0].ID.String(), StreamID: streamID,
					Reason: "EventStoreDB found some of this append's event IDs already committed, but not as this same append"}
			}
			return eventstore.AppendResult{}, s.conflict(ctx, streamID, expected, err)
		}
		if isMaxAppendSize(err) {
			return eventstore.AppendResult{}, &eventstore.InputError{Field: "events", Problem: fmt.Sprintf(
				"the server rejected the append as larger than its maximum append size (%v); split the append, or raise the server's --max-append-size (at most 16 MiB)", err)}
		}
		return eventstore.AppendResult{}, s.mapErr(ctx, "append to", streamID, err)
	}
	last := wr.NextExpectedVersion + 1
	res := eventstore.AppendResult{
		StreamID:     streamID,
		FirstVersion: last - uint64(len(batch)) + 1,
		LastVersion:  last,
		Position:     eventstore.Position{Tx: wr.CommitPosition, Pos: wr.PreparePosition},
		EventIDs:     ids,
	}
	if wr.CommitPosition == 0 && wr.PreparePosition == 0 || wr.CommitPosition == math.MaxUint64 {
		// The server answers a write it recognised as a replay by event ID without a log
		// position (nothing was written): read the original events back for their
		// positions, and to check that the IDs were not reused for different events.
		return s.replayed(ctx, streamID, batch, res.FirstVersion)
	}
	return res, nil
}

// replayed builds the result of an append the server recognised as a replay of the events
// now stored from version first on.
func (s *Store) replayed(ctx context.Context, streamID string, batch []eventstore.EventData, first uint64) (eventstore.AppendResult, error) {
	committed, err := s.readWindow(ctx, streamID, esdbclient.ReadStreamOptions{From: esdbclient.Revision(first - 1)}, len(batch), batch)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	res, ok, err := eventstore.MatchCommitted(streamID, batch, committed)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if !ok {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to stream %q: the server took it for a retry, but the events are not at versions %d..%d; read the stream before retrying", streamID, first, first+uint64(len(batch))-1)
	}
	return res, nil
}

// callerChoseIDs reports whether any event came with an ID: only then can the append be a
// retry (events without IDs get fresh UUIDv7s).
func callerChoseIDs(events []eventstore.EventData) bool {
	for _, e := range events {
		if e.ID != uuid.Nil {
			return true
		}
	}
	return false
}

// readWindow reads up to n events of a stream and returns those whose IDs are in batch.
// A stream that reads as not found or deleted gives an empty map and the mapped error.
func (s *Store) readWindow(ctx context.Context, streamID string, opts esdbclient.ReadStreamOptions, n int, batch []eventstore.EventData) (map[uuid.UUID]eventstore.Event, error) {
	want := make(map[uuid.UUID]struct{}, len(batch))
	for _, e := range batch {
		want[e.ID] = struct{}{}
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rs, err := s.client.ReadStream(rctx, s.wire(streamID), opts, uint64(n))
	if err != nil {
		return nil, s.mapErr(ctx, "read before append to", streamID, err)
	}
	defer rs.Close()
	committed := make(map[uuid.UUID]eventstore.Event)
	for {
		ev, err := rs.Recv()
		if isEOF(err) {
			return committed, nil
		}
		if err != nil {
			return committed, s.mapErr(ctx, "read before append to", streamID, err)
		}
		if rec := ev.OriginalEvent(); rec != nil {
			if _, ok := want[rec.EventID]; ok {
				committed[rec.EventID] = s.toEvent(rec)
			}
		}
	}
}

// readBeforeAppend looks for the batch's events where an earlier attempt of the same append
// would have put them: after the expected version for Exactly, at the start of the live
// stream for NoStream, at the end of the stream for Any and StreamExists. When it finds one,
// it reads the window where the whole batch would be and lets eventstore.MatchCommitted
// decide: the original result (found == true) or an ID reused for a different event. It
// also rejects Exactly on a stream that reads as not found: EventStoreDB would accept the
// last revision of a soft-deleted stream and re-create it, the contract says it does not
// exist.
func (s *Store) readBeforeAppend(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, batch []eventstore.EventData) (eventstore.AppendResult, bool, error) {
	opts := esdbclient.ReadStreamOptions{Direction: esdbclient.Backwards, From: esdbclient.End{}}
	n, exact := expected.Exact()
	switch {
	case exact:
		opts = esdbclient.ReadStreamOptions{From: esdbclient.Revision(n)}
	case expected.IsNoStream():
		opts = esdbclient.ReadStreamOptions{From: esdbclient.Start{}}
	}
	committed, err := s.readWindow(ctx, streamID, opts, len(batch), batch)
	switch {
	case errors.Is(err, eventstore.ErrStreamNotFound):
		if exact {
			return eventstore.AppendResult{}, false, s.conflict(ctx, streamID, expected, err)
		}
		return eventstore.AppendResult{}, false, nil
	case errors.Is(err, eventstore.ErrStreamDeleted):
		return eventstore.AppendResult{}, false, fmt.Errorf("esdb: append to stream %q: %w", streamID, eventstore.ErrStreamDeleted)
	case err != nil:
		return eventstore.AppendResult{}, false, err
	case len(committed) == 0:
		return eventstore.AppendResult{}, false, nil
	}
	// Where would the batch start if it were committed whole? An append commits whole, so
	// its events are consecutive: anchor on the first of them that was found.
	for i, e := range batch {
		c, ok := committed[e.ID]
		if !ok {
			continue
		}
		if c.Version <= uint64(i) {
			return eventstore.AppendResult{}, false, &eventstore.DuplicateEventError{EventID: e.ID.String(), StreamID: streamID,
				Reason: fmt.Sprintf("the ID is already used by version %d, too early for event %d of this append", c.Version, i+1)}
		}
		start := c.Version - uint64(i) // version of batch[0] in a retry
		window := esdbclient.ReadStreamOptions{From: esdbclient.Revision(start - 1)}
		if committed, err = s.readWindow(ctx, streamID, window, len(batch), batch); err != nil {
			return eventstore.AppendResult{}, false, err
		}
		break
	}
	res, ok, err := eventstore.MatchCommitted(streamID, batch, committed)
	if err != nil || !ok {
		return eventstore.AppendResult{}, false, err
	}
	for _, e := range committed {
		if e.Position.IsZero() {
			// The server reports no $all positions for stream reads: send the append, which
			// the server recognises as a replay, to learn the original position.
			return eventstore.AppendResult{}, false, nil
		}
	}
	return res, true, nil
}
