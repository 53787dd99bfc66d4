package esdb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/esgen/esgen/eventstore"
)

// probeRevision is an expected revision no stream reaches: an empty append expecting it
// always fails its check, writes nothing, and the answer carries the stream's current
// revision, which is how a soft-deleted stream's version is found.
const probeRevision = 1 << 62

// StreamInfo implements [eventstore.Store]. It reads the stream's last event; when the
// stream reads as not found it asks the server for the stream's current revision with an
// empty append that cannot pass its expected-revision check (it writes nothing), which tells
// an absent stream from a soft-deleted one and gives the latter's version. The server keeps
// no readable version for a tombstoned stream: StreamInfo then finds the stream's last event
// before its tombstone in $all, with a subscription filtered on the server to the stream
// (see "Soft deletes and tombstones" in the package documentation for the cost).
func (s *Store) StreamInfo(ctx context.Context, streamID string) (eventstore.StreamInfo, error) {
	info, err := s.streamState(ctx, streamID)
	if err != nil || info.State != eventstore.StreamTombstoned {
		return info, err
	}
	info.Version, err = s.tombstonedVersion(ctx, streamID)
	return info, err
}

// tombstonedVersion finds the version a stream had when it was tombstoned: the number of
// its last event before the $streamDeleted record, found by a catch-up subscription to $all
// filtered on the server to the stream's exact name, from the start to that record.
func (s *Store) tombstonedVersion(ctx context.Context, streamID string) (uint64, error) {
	sctx, cancel := s.join(ctx)
	defer cancel()
	sub, err := s.client.SubscribeToAll(sctx, esdbclient.SubscribeToAllOptions{
		From:   esdbclient.Start{},
		Filter: &esdbclient.SubscriptionFilter{Type: esdbclient.StreamFilterType, Regex: "^" + regexp.QuoteMeta(s.wire(streamID)) + "$"},
	})
	if err != nil {
		return 0, s.mapErr(ctx, "find the tombstone of", streamID, err)
	}
	defer sub.Close()
	var version uint64
	for {
		msg := sub.Recv()
		switch {
		case msg.SubscriptionDropped != nil:
			return 0, s.mapErr(ctx, "find the tombstone of", streamID, msg.SubscriptionDropped.Error)
		case msg.CaughtUp != nil:
			// No tombstone record (scavenged): the last event seen is all there is.
			return version, nil
		case msg.EventAppeared != nil:
			rec := msg.EventAppeared.OriginalEvent()
			if rec == nil || rec.StreamID != s.wire(streamID) {
				continue
			}
			if rec.EventType == "$streamDeleted" {
				return version, nil
			}
			if !strings.HasPrefix(rec.EventType, "$") && rec.EventNumber+1 > version {
				version = rec.EventNumber + 1
			}
		}
	}
}

// streamState is StreamInfo without the version of a tombstoned stream.
func (s *Store) streamState(ctx context.Context, streamID string) (eventstore.StreamInfo, error) {
	if err := s.checkOpen(ctx); err != nil {
		return eventstore.StreamInfo{}, err
	}
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return eventstore.StreamInfo{}, err
	}
	info := eventstore.StreamInfo{StreamID: streamID}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rs, err := s.client.ReadStream(rctx, s.wire(streamID), esdbclient.ReadStreamOptions{Direction: esdbclient.Backwards, From: esdbclient.End{}}, 1)
	if err != nil {
		return info, s.mapErr(ctx, "read", streamID, err)
	}
	ev, err := rs.Recv()
	rs.Close()
	switch {
	case err == nil && ev.OriginalEvent() != nil:
		info.State = eventstore.StreamActive
		info.Version = ev.OriginalEvent().EventNumber + 1
		return info, nil
	case err != nil && !isEOF(err):
		mapped := s.mapErr(ctx, "read", streamID, err)
		if errors.Is(mapped, eventstore.ErrStreamDeleted) {
			info.State = eventstore.StreamTombstoned
			return info, nil
		}
		if !errors.Is(mapped, eventstore.ErrStreamNotFound) {
			return info, mapped
		}
	}
	_, err = s.client.AppendToStream(ctx, s.wire(streamID), esdbclient.AppendToStreamOptions{ExpectedRevision: esdbclient.Revision(probeRevision)})
	switch {
	case err == nil:
		// The server accepted the impossible revision; it cannot tell us more.
		return info, nil
	case hasCode(err, esdbclient.ErrorCodeWrongExpectedVersion):
		rev, noStream, ok := parseCurrent(err)
		if !ok {
			return info, fmt.Errorf("esdb: stream %q: cannot read the stream's revision from %q", streamID, err)
		}
		if !noStream {
			info.State = eventstore.StreamSoftDeleted
			info.Version = rev + 1
		}
		return info, nil
	default:
		mapped := s.mapErr(ctx, "read the revision of", streamID, err)
		if errors.Is(mapped, eventstore.ErrStreamDeleted) {
			info.State = eventstore.StreamTombstoned
			return info, nil
		}
		return info, mapped
	}
}

// Delete implements [eventstore.Store] with EventStoreDB's soft delete (the stream's
// truncate-before is set past its last event). The stream's state is read first, so that
// deleting an absent or already deleted stream fails with [eventstore.ErrStreamNotFound] as
// the contract requires (the server itself accepts it).
func (s *Store) Delete(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	info, err := s.streamState(ctx, streamID)
	if err != nil {
		return err
	}
	switch info.State {
	case eventstore.StreamAbsent, eventstore.StreamSoftDeleted:
		return fmt.Errorf("esdb: delete stream %q: it is %s: %w", streamID, info.State, eventstore.ErrStreamNotFound)
	case eventstore.StreamTombstoned:
		return fmt.Errorf("esdb: delete stream %q: %w", streamID, eventstore.ErrStreamDeleted)
	}
	if err := expected.Check(streamID, info.Version, true); err != nil {
		return err
	}
	_, err = s.client.DeleteStream(ctx, s.wire(streamID), esdbclient.DeleteStreamOptions{ExpectedRevision: toRevision(expected)})
	return s.deleteErr(ctx, "delete", streamID, expected, err)
}

// Tombstone implements [eventstore.Store] with EventStoreDB's tombstone. The expected
// version is checked against the contract's view of the stream first (a soft-deleted
// stream does not exist), then by the server.
func (s *Store) Tombstone(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	info, err := s.streamState(ctx, streamID)
	if err != nil {
		return err
	}
	if info.State == eventstore.StreamTombstoned {
		return fmt.Errorf("esdb: tombstone stream %q: %w", streamID, eventstore.ErrStreamDeleted)
	}
	if err := expected.Check(streamID, info.Version, info.State == eventstore.StreamActive); err != nil {
		return err
	}
	rev := toRevision(expected)
	if info.State == eventstore.StreamSoftDeleted {
		// The server still counts the old revision; expect exactly it, so a concurrent
		// re-creation is not tombstoned unseen.
		rev = esdbclient.Revision(info.Version - 1)
	}
	_, err = s.client.TombstoneStream(ctx, s.wire(streamID), esdbclient.TombstoneStreamOptions{ExpectedRevision: rev})
	return s.deleteErr(ctx, "tombstone", streamID, expected, err)
}

func (s *Store) deleteErr(ctx context.Context, op, streamID string, expected eventstore.ExpectedVersion, err error) error {
	if err == nil {
		return nil
	}
	if isWrongVersionStatus(err) {
		info, ierr := s.streamState(ctx, streamID)
		if ierr != nil {
			return fmt.Errorf("esdb: %s stream %q: wrong expected version, and reading its state failed: %w", op, streamID, ierr)
		}
		if info.State == eventstore.StreamTombstoned {
			return fmt.Errorf("esdb: %s stream %q: %w", op, streamID, eventstore.ErrStreamDeleted)
		}
		return &eventstore.VersionConflictError{StreamID: streamID, Expected: expected, Actual: info.Version, Exists: info.State == eventstore.StreamActive}
	}
	return s.mapErr(ctx, op, streamID, err)
}
