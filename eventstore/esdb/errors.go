package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/esgen/esgen/eventstore"
)

// mapErr translates an error of the client library for an operation on a stream (streamID
// is "" for $all) into the contract's errors.
func (s *Store) mapErr(ctx context.Context, op, streamID string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return fmt.Errorf("esdb: %s: %w", op, eventstore.ErrClosed)
	}
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	where := "$all"
	if streamID != "" {
		where = fmt.Sprintf("stream %q", streamID)
	}
	var e *esdbclient.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdbclient.ErrorCodeStreamDeleted:
			return fmt.Errorf("esdb: %s %s: %w", op, where, eventstore.ErrStreamDeleted)
		case esdbclient.ErrorCodeResourceNotFound:
			return fmt.Errorf("esdb: %s %s: %w", op, where, eventstore.ErrStreamNotFound)
		case esdbclient.ErrorCodeConnectionClosed:
			return fmt.Errorf("esdb: %s %s: the connection is closed (the server could not be reached, or the store was closed): %w", op, where, err)
		case esdbclient.ErrorCodeUnauthenticated:
			return fmt.Errorf("esdb: %s %s: the server rejected the credentials; check the user and password of the connection string: %w", op, where, err)
		case esdbclient.ErrorCodeAccessDenied:
			return fmt.Errorf("esdb: %s %s: access denied; grant the user access to the stream: %w", op, where, err)
		}
	}
	return fmt.Errorf("esdb: %s %s: %w", op, where, err)
}

// isEOF reports whether a read ended normally.
func isEOF(err error) bool { return errors.Is(err, io.EOF) }

func hasCode(err error, code esdbclient.ErrorCode) bool {
	var e *esdbclient.Error
	return errors.As(err, &e) && e.Code() == code
}

// isWrongVersionStatus reports whether a delete or tombstone failed its expected-revision
// check: the server answers FailedPrecondition and names WrongExpectedVersion.
func isWrongVersionStatus(err error) bool {
	if hasCode(err, esdbclient.ErrorCodeWrongExpectedVersion) {
		return true
	}
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.FailedPrecondition {
		return false
	}
	msg := strings.ToLower(st.Message())
	return strings.Contains(msg, "wrongexpectedversion") || strings.Contains(msg, "wrong expected version")
}

// isMaxAppendSize reports whether the server rejected an append as larger than its
// --max-append-size.
func isMaxAppendSize(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.InvalidArgument && strings.Contains(strings.ToLower(st.Message()), "maximum append size")
}

// currentRE finds the current revision in the client's wrong-expected-version message
// ("wrong expected version: expecting '3' but got '5'").
var currentRE = regexp.MustCompile(`but got '([^']*)'`)

// parseCurrent returns the stream's current revision from a wrong-expected-version error:
// noStream is true when the server said the stream has no events.
func parseCurrent(err error) (rev uint64, noStream, ok bool) {
	m := currentRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false, false
	}
	if m[1] == "no_stream" || m[1] == "-1" {
		return 0, true, true
	}
	n, perr := strconv.ParseInt(m[1], 10, 64)
	if perr != nil || n < 0 {
		return 0, false, false
	}
	return uint64(n), false, true
}

// conflict builds the contract's *VersionConflictError for a failed expected-version check.
// The server tells the current revision but not whether the stream is soft-deleted; when
// that matters and is not implied by the expected version, one more read finds out. When the
// stream turns out to satisfy the expected version after all, the server refused the
// append because some of its event IDs were already committed differently (its "corrupted
// idempotency" answer), and the error is an *eventstore.DuplicateEventError.
func (s *Store) conflict(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, cause error) error {
	rev, noStream, ok := parseCurrent(cause)
	vc := &eventstore.VersionConflictError{StreamID: streamID, Expected: expected}
	switch {
	case ok && noStream:
		vc.Actual, vc.Exists = 0, false
	case ok && expected.IsNoStream():
		// NoStream accepts a soft-deleted stream, so the stream is live.
		vc.Actual, vc.Exists = rev+1, true
	default:
		info, err := s.streamState(ctx, streamID)
		if err != nil {
			if ok {
				vc.Actual, vc.Exists = rev+1, true
				return vc
			}
			return fmt.Errorf("esdb: stream %q: wrong expected version (%v), and reading its state failed: %w", streamID, cause, err)
		}
		if info.State == eventstore.StreamTombstoned {
			return fmt.Errorf("esdb: stream %q: %w", streamID, eventstore.ErrStreamDeleted)
		}
		vc.Actual, vc.Exists = info.Version, info.State == eventstore.StreamActive
		if ok {
			vc.Actual = rev + 1 // the revision at the time of the conflict
		}
	}
	if ok && !errors.Is(cause, eventstore.ErrStreamNotFound) && expected.Check(streamID, vc.Actual, vc.Exists) == nil {
		return &eventstore.DuplicateEventError{StreamID: streamID, EventID: "(one of the append's events)",
			Reason: fmt.Sprintf("EventStoreDB refused the append although the stream is at version %d: some of its event IDs are already committed as a different append", vc.Actual)}
	}
	return vc
}
