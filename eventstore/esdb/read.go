package esdb

import (
	"context"
	"iter"
	"math"
	"regexp"
	"strings"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/esgen/esgen/eventstore"
)

// toPosition maps an EventStoreDB position onto the contract's: Tx is the commit position,
// Pos the prepare position. A position the server did not report (stream reads on some
// server versions report the maximum value) maps to the zero Position.
func toPosition(p esdbclient.Position) eventstore.Position {
	if p.Commit == math.MaxUint64 || p.Prepare == math.MaxUint64 {
		return eventstore.Position{}
	}
	return eventstore.Position{Tx: p.Commit, Pos: p.Prepare}
}

// fromPosition maps a contract position back onto EventStoreDB's; the zero Position is the
// start of $all.
func fromPosition(p eventstore.Position) esdbclient.AllPosition {
	if p.IsZero() {
		return esdbclient.Start{}
	}
	return esdbclient.Position{Commit: p.Tx, Prepare: p.Pos}
}

// isSystem reports whether a record is EventStoreDB's own: a $-prefixed stream (metadata
// streams, $epoch-information, $scavenges, ...) or event type ($streamDeleted, $metadata,
// link events "$>"). The contract's streams never start with '$', so these are never the
// application's.
func isSystem(rec *esdbclient.RecordedEvent) bool {
	return strings.HasPrefix(rec.StreamID, "$") || strings.HasPrefix(rec.EventType, "$")
}

// foreign reports whether a record of $all is not this store's: a system record, or a
// stream outside the store's namespace.
func (s *Store) foreign(rec *esdbclient.RecordedEvent) bool {
	return isSystem(rec) || !strings.HasPrefix(rec.StreamID, s.cfg.namespace)
}

// wire is the server's name of a stream.
func (s *Store) wire(streamID string) string { return s.cfg.namespace + streamID }

// toEvent converts a recorded event. Metadata that is not esgen's JSON (events written by
// other tools) is ignored rather than failing the read.
func (s *Store) toEvent(rec *esdbclient.RecordedEvent) eventstore.Event {
	meta, err := eventstore.UnmarshalMetadata(rec.UserMetadata)
	if err != nil {
		meta = eventstore.Metadata{}
	}
	return eventstore.Event{
		ID:         rec.EventID,
		StreamID:   strings.TrimPrefix(rec.StreamID, s.cfg.namespace),
		Version:    rec.EventNumber + 1,
		Position:   toPosition(rec.Position),
		Type:       rec.EventType,
		Data:       rec.Data,
		Metadata:   meta,
		RecordedAt: rec.CreatedDate,
	}
}

// interrupted returns the error that ends an iterator whose context is done or whose store
// is closed: events the gRPC stream had already buffered are not delivered after that.
func (s *Store) interrupted(ctx context.Context) error {
	if s.closed.Load() {
		return eventstore.ErrClosed
	}
	return ctx.Err()
}

// join returns a context that is also cancelled when the store is closed.
func (s *Store) join(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	if s.closed.Load() {
		cancel()
		return c, cancel
	}
	stop := context.AfterFunc(s.life, cancel)
	return c, func() { stop(); cancel() }
}

// ReadStream implements [eventstore.StreamReader], fetching [eventstore.DefaultPageSize]
// events per round trip. Events read from a stream carry the $all position the server
// reports for them, or the zero Position on servers that do not report it for stream reads.
func (s *Store) ReadStream(ctx context.Context, streamID string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if err := s.checkOpen(ctx); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		if err := eventstore.ValidateStreamID(streamID); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		rctx, cancel := s.join(ctx)
		defer cancel()
		dir := esdbclient.Forwards
		var from esdbclient.StreamPosition = esdbclient.Start{}
		if opts.Direction == eventstore.Backward {
			dir = esdbclient.Backwards
			from = esdbclient.End{}
			if opts.From > 0 {
				from = esdbclient.Revision(opts.From - 1)
			}
		} else if opts.From > 1 {
			from = esdbclient.Revision(opts.From - 1)
		}
		remaining := opts.Limit
		for {
			n := eventstore.DefaultPageSize
			if remaining > 0 && remaining < n {
				n = remaining
			}
			rs, err := s.client.ReadStream(rctx, s.wire(streamID), esdbclient.ReadStreamOptions{Direction: dir, From: from}, uint64(n))
			if err != nil {
				yield(eventstore.Event{}, s.mapErr(ctx, "read", streamID, err))
				return
			}
			got := 0
			var last uint64
			for {
				ev, err := rs.Recv()
				if isEOF(err) {
					break
				}
				if err != nil {
					rs.Close()
					yield(eventstore.Event{}, s.mapErr(ctx, "read", streamID, err))
					return
				}
				rec := ev.OriginalEvent()
				got++
				last = rec.EventNumber
				if err := s.interrupted(ctx); err != nil {
					rs.Close()
					yield(eventstore.Event{}, err)
					return
				}
				if !yield(s.toEvent(rec), nil) {
					rs.Close()
					return
				}
			}
			rs.Close()
			if remaining > 0 {
				remaining -= got
				if remaining <= 0 {
					return
				}
			}
			if got < n {
				return
			}
			if dir == esdbclient.Forwards {
				from = esdbclient.Revision(last + 1)
			} else {
				if last == 0 {
					return
				}
				from = esdbclient.Revision(last - 1)
			}
		}
	}
}

// ReadAll implements [eventstore.LogReader] on $all, skipping EventStoreDB's system records.
// Unfiltered, it reads $all in pages of opts.PageSize. With Types, StreamPrefix or a
// namespace it filters on the server: the client library has no filtered counted read of
// $all, so it runs a filtered catch-up subscription from opts.After that ends at the last
// record of $all when the read began (it needs the CaughtUp message of EventStoreDB 23.10 and
// later; on older servers, or before a store from New knows the server's version, it pages
// through $all and filters here).
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if err := s.checkOpen(ctx); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		if (len(opts.Types) > 0 || opts.StreamPrefix != "" || s.cfg.namespace != "") && s.filteredReads() {
			s.readAllFiltered(ctx, opts, yield)
			return
		}
		rctx, cancel := s.join(ctx)
		defer cancel()
		// A counted read of $all includes the event at its start position; it is skipped,
		// as is anything at or before the cursor, so either server behaviour is right.
		cursor, seen := opts.After, !opts.After.IsZero()
		n := opts.PageSizeOr() + 1
		yielded := 0
		for {
			rs, err := s.client.ReadAll(rctx, esdbclient.ReadAllOptions{From: fromPosition(cursor)}, uint64(n))
			if err != nil {
				yield(eventstore.Event{}, s.mapErr(ctx, "read", "", err))
				return
			}
			raw := 0
			for {
				ev, err := rs.Recv()
				if isEOF(err) {
					break
				}
				if err != nil {
					rs.Close()
					yield(eventstore.Event{}, s.mapErr(ctx, "read", "", err))
					return
				}
				raw++
				rec := ev.OriginalEvent()
				if rec == nil {
					continue
				}
				p := toPosition(rec.Position)
				if seen && p.Compare(cursor) <= 0 {
					continue
				}
				cursor, seen = p, true
				if s.foreign(rec) {
					continue
				}
				e := s.toEvent(rec)
				if !opts.Matches(&e) {
					continue
				}
				if err := s.interrupted(ctx); err != nil {
					rs.Close()
					yield(eventstore.Event{}, err)
					return
				}
				if !yield(e, nil) {
					rs.Close()
					return
				}
				yielded++
				if opts.Limit > 0 && yielded >= opts.Limit {
					rs.Close()
					return
				}
			}
			rs.Close()
			if raw < n {
				return
			}
		}
	}
}

// readAllFiltered is ReadAll filtered on the server (see ReadAll).
func (s *Store) readAllFiltered(ctx context.Context, opts eventstore.ReadAllOptions, yield func(eventstore.Event, error) bool) {
	rctx, cancel := s.join(ctx)
	defer cancel()
	end, ok, err := s.lastRecord(rctx)
	if err != nil {
		yield(eventstore.Event{}, s.mapErr(ctx, "read", "", err))
		return
	}
	if !ok || (!opts.After.IsZero() && end.Compare(opts.After) <= 0) {
		return
	}
	sub, err := s.client.SubscribeToAll(rctx, esdbclient.SubscribeToAllOptions{
		From:   fromPosition(opts.After),
		Filter: s.serverFilter(opts),
	})
	if err != nil {
		yield(eventstore.Event{}, s.mapErr(ctx, "read", "", err))
		return
	}
	defer sub.Close()
	cursor, seen := opts.After, !opts.After.IsZero()
	yielded := 0
	for {
		msg := sub.Recv()
		switch {
		case msg.SubscriptionDropped != nil:
			yield(eventstore.Event{}, s.mapErr(ctx, "read", "", msg.SubscriptionDropped.Error))
			return
		case msg.CaughtUp != nil:
			return
		case msg.CheckPointReached != nil:
			if msg.CheckPointReached.Commit > end.Tx {
				return
			}
		case msg.EventAppeared != nil:
			rec := msg.EventAppeared.OriginalEvent()
			if rec == nil {
				continue
			}
			p := toPosition(rec.Position)
			if p.Compare(end) > 0 {
				return
			}
			if seen && p.Compare(cursor) <= 0 {
				continue
			}
			cursor, seen = p, true
			if !s.foreign(rec) {
				e := s.toEvent(rec)
				if opts.Matches(&e) {
					if err := s.interrupted(ctx); err != nil {
						yield(eventstore.Event{}, err)
						return
					}
					if !yield(e, nil) {
						return
					}
					if yielded++; opts.Limit > 0 && yielded >= opts.Limit {
						return
					}
				}
			}
			if p.Compare(end) >= 0 {
				return
			}
		}
	}
}

// lastRecord returns the position of the last record of $all, system records included;
// ok is false for an empty log.
func (s *Store) lastRecord(ctx context.Context) (eventstore.Position, bool, error) {
	rs, err := s.client.ReadAll(ctx, esdbclient.ReadAllOptions{Direction: esdbclient.Backwards, From: esdbclient.End{}}, 1)
	if err != nil {
		return eventstore.Position{}, false, err
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if isEOF(err) {
		return eventstore.Position{}, false, nil
	}
	if err != nil {
		return eventstore.Position{}, false, err
	}
	return toPosition(ev.OriginalEvent().Position), true, nil
}

// Head implements [eventstore.LogReader]: the position of the last non-system event in
// $all, found by reading $all backwards.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := s.checkOpen(ctx); err != nil {
		return eventstore.Position{}, err
	}
	rctx, cancel := s.join(ctx)
	defer cancel()
	const n = 64
	var from esdbclient.AllPosition = esdbclient.End{}
	var cursor eventstore.Position
	seen := false
	for {
		rs, err := s.client.ReadAll(rctx, esdbclient.ReadAllOptions{Direction: esdbclient.Backwards, From: from}, n)
		if err != nil {
			return eventstore.Position{}, s.mapErr(ctx, "read", "", err)
		}
		raw := 0
		for {
			ev, err := rs.Recv()
			if isEOF(err) {
				break
			}
			if err != nil {
				rs.Close()
				return eventstore.Position{}, s.mapErr(ctx, "read", "", err)
			}
			raw++
			rec := ev.OriginalEvent()
			if rec == nil {
				continue
			}
			p := toPosition(rec.Position)
			if seen && p.Compare(cursor) >= 0 {
				continue
			}
			cursor, seen = p, true
			if !s.foreign(rec) {
				rs.Close()
				return p, nil
			}
		}
		rs.Close()
		if raw < n || !seen {
			return eventstore.Position{}, nil
		}
		from = fromPosition(cursor)
	}
}

// serverFilter is the $all subscription filter for opts: the event types as an anchored
// regular expression, else the stream prefix, else "no system events". The server applies
// one filter; the other criterion, and the system-record check, are applied here too.
func (s *Store) serverFilter(opts eventstore.ReadAllOptions) *esdbclient.SubscriptionFilter {
	if len(opts.Types) > 0 {
		alts := make([]string, len(opts.Types))
		for i, t := range opts.Types {
			alts[i] = regexp.QuoteMeta(t)
		}
		return &esdbclient.SubscriptionFilter{Type: esdbclient.EventFilterType, Regex: "^(?:" + strings.Join(alts, "|") + ")$"}
	}
	if prefix := s.wire(opts.StreamPrefix); prefix != "" {
		return &esdbclient.SubscriptionFilter{Type: esdbclient.StreamFilterType, Prefixes: []string{prefix}}
	}
	return esdbclient.ExcludeSystemEventsFilter()
}

// Subscribe implements [eventstore.LogReader] with a catch-up subscription to $all from
// opts.After, filtered on the server. Events arrive over one gRPC stream whose flow control
// bounds what is buffered: a slow consumer slows the server. It ends with ctx's error when
// ctx is done, [eventstore.ErrClosed] when the store is closed, or the mapped error when the
// server drops the subscription.
func (s *Store) Subscribe(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		if err := s.checkOpen(ctx); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		sctx, cancel := s.join(ctx)
		defer cancel()
		sub, err := s.client.SubscribeToAll(sctx, esdbclient.SubscribeToAllOptions{
			From:   fromPosition(opts.After),
			Filter: s.serverFilter(opts),
		})
		if err != nil {
			yield(eventstore.Event{}, s.mapErr(ctx, "subscribe to", "", err))
			return
		}
		defer sub.Close()
		cursor, seen := opts.After, !opts.After.IsZero()
		for {
			msg := sub.Recv()
			switch {
			case msg.SubscriptionDropped != nil:
				yield(eventstore.Event{}, s.mapErr(ctx, "subscription to", "", msg.SubscriptionDropped.Error))
				return
			case msg.EventAppeared != nil:
				rec := msg.EventAppeared.OriginalEvent()
				if rec == nil {
					continue
				}
				p := toPosition(rec.Position)
				if seen && p.Compare(cursor) <= 0 {
					continue
				}
				cursor, seen = p, true
				if s.foreign(rec) {
					continue
				}
				e := s.toEvent(rec)
				if !opts.Matches(&e) {
					continue
				}
				if err := s.interrupted(ctx); err != nil {
					yield(eventstore.Event{}, err)
					return
				}
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}
