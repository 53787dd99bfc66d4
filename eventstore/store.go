package eventstore

import (
	"context"
	"iter"
	"time"
)

// Store is the contract every backend implements. All methods are safe for concurrent use.
type Store interface {
	Appender
	StreamReader
	LogReader

	// StreamInfo describes a stream. It does not fail for an absent stream: it reports
	// [StreamAbsent] with version 0.
	StreamInfo(ctx context.Context, streamID string) (StreamInfo, error)

	// Delete soft-deletes a stream: it then reads as [ErrStreamNotFound], its version is kept,
	// and a later append with [NoStream] or [Any] re-creates it with versions continuing after
	// the old ones, so old and new events never collide. Its events stay in the global log.
	// Deleting an absent or already deleted stream fails with [ErrStreamNotFound], a
	// tombstoned one with [ErrStreamDeleted].
	Delete(ctx context.Context, streamID string, expected ExpectedVersion) error

	// Tombstone deletes a stream for good: every later read, append, Delete or Tombstone of
	// it fails with [ErrStreamDeleted]. Its events stay in the global log. A soft-deleted
	// stream can be tombstoned.
	Tombstone(ctx context.Context, streamID string, expected ExpectedVersion) error

	// Close releases the store's resources. Iterators in progress end with [ErrClosed] or a
	// cancellation error.
	Close() error
}

// Appender appends events to streams.
type Appender interface {
	// Append atomically appends events to a stream if its version satisfies expected. See
	// the package documentation for idempotency. An empty batch, an invalid stream ID or
	// event, or a cancelled context fail before anything is written.
	Append(ctx context.Context, streamID string, expected ExpectedVersion, events ...EventData) (AppendResult, error)
}

// StreamReader reads one stream.
type StreamReader interface {
	// ReadStream reads a stream's events in the direction and from the version opts give.
	// An absent or soft-deleted stream yields [ErrStreamNotFound]; a tombstoned one
	// [ErrStreamDeleted].
	ReadStream(ctx context.Context, streamID string, opts ReadStreamOptions) iter.Seq2[Event, error]
}

// LogReader reads the global log.
type LogReader interface {
	// ReadAll reads the global log after opts.After, in log order, up to the end of what is
	// safely visible when each page is read, then stops.
	ReadAll(ctx context.Context, opts ReadAllOptions) iter.Seq2[Event, error]

	// Subscribe reads the global log after opts.After like ReadAll, then follows live
	// appends until ctx is done, when it yields ctx's error and stops. It holds at most one
	// page of events: a slow consumer slows reading and never grows memory.
	Subscribe(ctx context.Context, opts ReadAllOptions) iter.Seq2[Event, error]

	// Head returns the position of the last event a reader can currently see (Start for an
	// empty store).
	Head(ctx context.Context) (Position, error)
}

// Direction is the order in which a stream is read.
type Direction uint8

// Directions.
const (
	// Forward reads from lower to higher versions.
	Forward Direction = iota
	// Backward reads from higher to lower versions.
	Backward
)

// ReadStreamOptions select what [StreamReader.ReadStream] returns.
type ReadStreamOptions struct {
	// Direction is Forward (the default) or Backward.
	Direction Direction
	// From is the first version read: reading Forward, 0 and 1 both mean the first event;
	// reading Backward, 0 means the last event. Reading Forward from beyond the last version
	// yields nothing (no error); reading Backward from beyond it starts at the last event.
	// A re-created stream (see [Store.Delete]) reads only its events after the delete,
	// whatever From says.
	From uint64
	// Limit caps how many events are returned; 0 means no limit.
	Limit int
}

// ReadAllOptions select what [LogReader.ReadAll] and [LogReader.Subscribe] return.
type ReadAllOptions struct {
	// After is the checkpoint: only events after it are returned. Start reads everything.
	After Position
	// Types, when not empty, keeps only events of these types.
	Types []string
	// StreamPrefix, when not empty, keeps only events of streams whose ID starts with it.
	StreamPrefix string
	// Limit caps how many events ReadAll returns; 0 means no limit. Subscribe ignores it.
	Limit int
	// PageSize is how many events are fetched per round trip; 0 means [DefaultPageSize].
	PageSize int
	// PollInterval bounds how long Subscribe waits for a wake-up before looking for new
	// events anyway; 0 means [DefaultPollInterval].
	PollInterval time.Duration
}

// Matches reports whether e passes the Types and StreamPrefix filters of o.
func (o ReadAllOptions) Matches(e *Event) bool {
	if o.StreamPrefix != "" && !hasPrefix(e.StreamID, o.StreamPrefix) {
		return false
	}
	if len(o.Types) == 0 {
		return true
	}
	for _, t := range o.Types {
		if t == e.Type {
			return true
		}
	}
	return false
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// Defaults for reads.
const (
	// DefaultPageSize is the number of events fetched per round trip.
	DefaultPageSize = 512
	// DefaultPollInterval is the longest Subscribe waits before polling for new events.
	DefaultPollInterval = time.Second
)

// PageSizeOr returns o.PageSize, or [DefaultPageSize] when it is not positive.
func (o ReadAllOptions) PageSizeOr() int {
	if o.PageSize > 0 {
		return o.PageSize
	}
	return DefaultPageSize
}
