package memory

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/esgen/esgen/eventstore"
)

// scanBudget bounds how many log entries ReadAll examines per lock hold, so a filtered read
// over a long log lets writers in between pages.
const scanBudget = 4096

// Store is an in-memory [eventstore.Store]. Create it with [New]; the zero value is not
// usable. It is safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	closed  bool
	log     []eventstore.Event // log[i] has Position{Pos: i+1}
	streams map[string]*stream
	ids     map[uuid.UUID]uint64 // event ID -> Pos
	signal  eventstore.Signal
	now     func() time.Time
}

// stream is the per-stream index into the log.
type stream struct {
	positions []uint64 // positions[v-1] is the Pos of version v
	liveFrom  uint64   // first version reads return: 1 + the version at the last soft delete
	state     eventstore.StreamState
}

func (s *stream) version() uint64 { return uint64(len(s.positions)) }

// Option configures a [Store].
type Option func(*Store)

// WithClock makes the store take RecordedAt times from now instead of time.Now. The times
// are converted to UTC.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		streams: make(map[string]*stream),
		ids:     make(map[uuid.UUID]uint64),
		now:     time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

var _ eventstore.Store = (*Store)(nil)

func errClosed(op string) error {
	return fmt.Errorf("memory: %s: %w; create a new store", op, eventstore.ErrClosed)
}

// Append implements [eventstore.Appender].
func (s *Store) Append(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	batch, _, err := eventstore.PrepareAppend(ctx, streamID, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	// The append becomes visible in one step under the lock, so the hook runs just before.
	if err := eventstore.BeforeCommit(ctx); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}

	s.mu.Lock()
	res, err := s.appendLocked(streamID, expected, batch)
	s.mu.Unlock()
	if err == nil && !res.Duplicate {
		s.signal.Notify()
	}
	return res, err
}

func (s *Store) appendLocked(streamID string, expected eventstore.ExpectedVersion, batch []eventstore.EventData) (eventstore.AppendResult, error) {
	if s.closed {
		return eventstore.AppendResult{}, errClosed("append")
	}
	st := s.streams[streamID]
	if st != nil && st.state == eventstore.StreamTombstoned {
		return eventstore.AppendResult{}, fmt.Errorf("memory: append to stream %q: %w; it can never be written again, use another stream ID", streamID, eventstore.ErrStreamDeleted)
	}

	var committed map[uuid.UUID]eventstore.Event
	for _, e := range batch {
		if pos, ok := s.ids[e.ID]; ok {
			if committed == nil {
				committed = make(map[uuid.UUID]eventstore.Event)
			}
			committed[e.ID] = s.log[pos-1]
		}
	}
	if res, ok, err := eventstore.MatchCommitted(streamID, batch, committed); err != nil || ok {
		return res, err
	}

	var version uint64
	exists := false
	if st != nil {
		version = st.version()
		exists = st.state == eventstore.StreamActive
	}
	if err := expected.Check(streamID, version, exists); err != nil {
		return eventstore.AppendResult{}, err
	}
	if st == nil {
		st = &stream{liveFrom: 1}
		s.streams[streamID] = st
	}
	st.state = eventstore.StreamActive

	now := s.now().UTC()
	ids := make([]uuid.UUID, len(batch))
	for i, e := range batch {
		pos := uint64(len(s.log)) + 1
		s.log = append(s.log, eventstore.Event{
			ID:         e.ID,
			StreamID:   streamID,
			Version:    version + uint64(i) + 1,
			Position:   eventstore.Position{Pos: pos},
			Type:       e.Type,
			Data:       cloneBytes(e.Data),
			Metadata:   cloneMetadata(e.Metadata),
			RecordedAt: now,
		})
		st.positions = append(st.positions, pos)
		s.ids[e.ID] = pos
		ids[i] = e.ID
	}
	return eventstore.AppendResult{
		StreamID:     streamID,
		FirstVersion: version + 1,
		LastVersion:  st.version(),
		Position:     eventstore.Position{Pos: uint64(len(s.log))},
		EventIDs:     ids,
	}, nil
}

// ReadStream implements [eventstore.StreamReader]. It copies at most
// [eventstore.DefaultPageSize] events per lock hold.
func (s *Store) ReadStream(ctx context.Context, streamID string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if err := eventstore.ValidateStreamID(streamID); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		remaining := opts.Limit
		if remaining <= 0 {
			remaining = -1
		}
		// next is the next version to read; lo is the lowest version backward reads reach.
		var next, lo uint64
		first := true
		var page []eventstore.Event // grows to at most one page, reused across pages
		for remaining != 0 {
			if err := ctx.Err(); err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			page = page[:0]
			s.mu.RLock()
			if s.closed {
				s.mu.RUnlock()
				yield(eventstore.Event{}, errClosed("read stream"))
				return
			}
			st := s.streams[streamID]
			if first {
				first = false
				switch {
				case st != nil && st.state == eventstore.StreamTombstoned:
					s.mu.RUnlock()
					yield(eventstore.Event{}, fmt.Errorf("memory: read stream %q: %w", streamID, eventstore.ErrStreamDeleted))
					return
				case st == nil || st.state != eventstore.StreamActive:
					s.mu.RUnlock()
					yield(eventstore.Event{}, fmt.Errorf("memory: read stream %q: %w", streamID, eventstore.ErrStreamNotFound))
					return
				}
				lo = st.liveFrom
				if opts.Direction == eventstore.Backward {
					next = st.version()
					if opts.From != 0 && opts.From < next {
						next = opts.From
					}
				} else {
					next = max(opts.From, st.liveFrom)
				}
			}
			n := eventstore.DefaultPageSize
			if remaining > 0 && remaining < n {
				n = remaining
			}
			if opts.Direction == eventstore.Backward {
				for ; len(page) < n && next >= lo && next > 0; next-- {
					page = append(page, s.log[st.positions[next-1]-1])
				}
			} else {
				for ; len(page) < n && next <= st.version(); next++ {
					page = append(page, s.log[st.positions[next-1]-1])
				}
			}
			s.mu.RUnlock()
			if len(page) == 0 {
				return
			}
			for i := range page {
				if !yield(cloneEvent(page[i]), nil) {
					return
				}
			}
			if remaining > 0 {
				remaining -= len(page)
			}
			if len(page) < n {
				return
			}
		}
	}
}

// ReadAll implements [eventstore.LogReader]. It copies at most one page of events per lock
// hold.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if opts.After.Tx != 0 {
			// Every memory position has Tx 0, so nothing comes after this one.
			return
		}
		remaining := opts.Limit
		if remaining <= 0 {
			remaining = -1
		}
		size := opts.PageSizeOr()
		next := opts.After.Pos // index into s.log of the next entry to examine
		var page []eventstore.Event
		for remaining != 0 {
			if err := ctx.Err(); err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			n := size
			if remaining > 0 && remaining < n {
				n = remaining
			}
			page = page[:0]
			s.mu.RLock()
			if s.closed {
				s.mu.RUnlock()
				yield(eventstore.Event{}, errClosed("read all"))
				return
			}
			end := uint64(len(s.log))
			budget := scanBudget
			for ; next < end && len(page) < n && budget > 0; next++ {
				budget--
				if opts.Matches(&s.log[next]) {
					page = append(page, s.log[next])
				}
			}
			s.mu.RUnlock()
			for i := range page {
				if !yield(cloneEvent(page[i]), nil) {
					return
				}
			}
			if remaining > 0 {
				remaining -= len(page)
			}
			if next >= end {
				return
			}
		}
	}
}

// Subscribe implements [eventstore.LogReader] with [eventstore.FollowHead], woken by every
// commit.
func (s *Store) Subscribe(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return eventstore.FollowHead(ctx, opts, s.signal.C, s.ReadAll, s.Head)
}

// Head implements [eventstore.LogReader].
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Position{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return eventstore.Position{}, errClosed("head")
	}
	return eventstore.Position{Pos: uint64(len(s.log))}, nil
}

// StreamInfo implements [eventstore.Store].
func (s *Store) StreamInfo(ctx context.Context, streamID string) (eventstore.StreamInfo, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.StreamInfo{}, err
	}
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return eventstore.StreamInfo{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return eventstore.StreamInfo{}, errClosed("stream info")
	}
	info := eventstore.StreamInfo{StreamID: streamID}
	if st := s.streams[streamID]; st != nil {
		info.Version = st.version()
		info.State = st.state
	}
	return info, nil
}

// Delete implements [eventstore.Store].
func (s *Store) Delete(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	return s.remove(ctx, streamID, expected, eventstore.StreamSoftDeleted)
}

// Tombstone implements [eventstore.Store].
func (s *Store) Tombstone(ctx context.Context, streamID string, expected eventstore.ExpectedVersion) error {
	return s.remove(ctx, streamID, expected, eventstore.StreamTombstoned)
}

func (s *Store) remove(ctx context.Context, streamID string, expected eventstore.ExpectedVersion, to eventstore.StreamState) error {
	op := "delete"
	if to == eventstore.StreamTombstoned {
		op = "tombstone"
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := eventstore.ValidateStreamID(streamID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed(op)
	}
	st := s.streams[streamID]
	if st != nil && st.state == eventstore.StreamTombstoned {
		return fmt.Errorf("memory: %s stream %q: %w", op, streamID, eventstore.ErrStreamDeleted)
	}
	exists := st != nil && st.state == eventstore.StreamActive
	if to == eventstore.StreamSoftDeleted && !exists {
		return fmt.Errorf("memory: delete stream %q: %w; there is nothing to delete", streamID, eventstore.ErrStreamNotFound)
	}
	var version uint64
	if st != nil {
		version = st.version()
	}
	if err := expected.Check(streamID, version, exists); err != nil {
		return err
	}
	if st == nil {
		st = &stream{liveFrom: 1}
		s.streams[streamID] = st
	}
	st.state = to
	st.liveFrom = version + 1
	return nil
}

// Close marks the store closed: later calls fail with [eventstore.ErrClosed] and
// subscriptions end with it. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal.Notify()
	return nil
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func cloneMetadata(m eventstore.Metadata) eventstore.Metadata {
	if m.Headers != nil {
		m.Headers = maps.Clone(m.Headers)
	}
	return m
}

// cloneEvent copies the mutable parts of a stored event, so callers cannot change the log.
func cloneEvent(e eventstore.Event) eventstore.Event {
	e.Data = cloneBytes(e.Data)
	e.Metadata = cloneMetadata(e.Metadata)
	return e
}
