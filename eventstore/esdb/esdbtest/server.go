package esdbtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/esgen/esgen/eventstore"
)

// Version is the server version the double reports to clients unless [WithVersion] says
// otherwise.
const Version = "24.10.0"

// DefaultIdempotencyCache is how many recent event IDs the double remembers for idempotent
// writes with Any or StreamExists unless [WithIdempotencyCache] says otherwise.
const DefaultIdempotencyCache = 100_000

// DefaultMaxAppendSize is the largest append the double accepts unless [WithMaxAppendSize]
// says otherwise: 1 MiB, the server's default (--max-append-size).
const DefaultMaxAppendSize = 1 << 20

// noRevision is the revision reported for a stream without events (-1 on the server).
const noRevision = math.MaxUint64

// tombstoneRevision is the revision of the $streamDeleted event a tombstone writes
// (long.MaxValue on the server).
const tombstoneRevision = math.MaxInt64

// Option configures a [Server].
type Option func(*node)

// WithIdempotencyCache sets how many recent event IDs the double remembers to recognise a
// replayed write with Any or StreamExists (n < 1 means 1). The real server's cache is also
// bounded, so such writes are only idempotent while the IDs are still cached; a small cache
// lets tests show what happens after eviction.
func WithIdempotencyCache(n int) Option {
	return func(s *node) {
		if n < 1 {
			n = 1
		}
		s.cacheSize = n
	}
}

// WithMaxAppendSize sets the largest append the double accepts, in bytes of the encoded
// proposed messages (event IDs, system metadata, user metadata and data), like the server's
// --max-append-size option (which may not exceed 16 MiB). A larger append fails with the
// server's InvalidArgument "Maximum Append Size of n Exceeded." error.
func WithMaxAppendSize(n int) Option {
	return func(s *node) { s.maxAppendSize = n }
}

// WithVersion sets the server version the double reports ("major.minor.patch"), so tests
// can exercise what a client does for older servers. Behaviour does not change with it.
func WithVersion(v string) Option {
	return func(s *node) { s.version = v }
}

// Server is the test double. Create it with [Start]; stop it with [Server.Close].
type Server struct {
	lis      net.Listener
	grpc     *grpc.Server
	n        *node
	closing  sync.Once
	serveErr chan error
}

// node is the double's state and its implementation of the streams service.
type node struct {
	api.UnimplementedStreamsServer

	cacheSize     int
	maxAppendSize int
	version       string

	mu      sync.Mutex
	streams map[string]*stream
	log     []*record
	next    uint64 // log position of the next record
	cache   map[uuid.UUID]*record
	order   []uuid.UUID // cache eviction order (FIFO)
	wake    eventstore.Signal
	done    chan struct{}
}

type record struct {
	id          uuid.UUID
	stream      string
	revision    uint64
	typ         string
	contentType string
	data, meta  []byte
	created     int64 // .NET ticks since the Unix epoch
	pos         uint64
}

type stream struct {
	records        []*record // every event ever appended, index = revision
	truncateBefore uint64    // events below it are hidden; math.MaxUint64 when soft-deleted
	tombstoned     bool
}

// lastRevision returns the stream's last revision, or noRevision without events.
func (st *stream) lastRevision() uint64 {
	if st == nil || len(st.records) == 0 {
		return noRevision
	}
	return uint64(len(st.records) - 1)
}

func (st *stream) softDeleted() bool { return st != nil && st.truncateBefore == math.MaxUint64 }

// Start starts a double listening on a free port of 127.0.0.1.
func Start(opts ...Option) (*Server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("esdbtest: listen on 127.0.0.1: %w", err)
	}
	n := &node{
		cacheSize:     DefaultIdempotencyCache,
		maxAppendSize: DefaultMaxAppendSize,
		version:       Version,
		streams:       make(map[string]*stream),
		cache:         make(map[uuid.UUID]*record),
		done:          make(chan struct{}),
	}
	for _, o := range opts {
		o(n)
	}
	// The real log starts with system records; so does the double's.
	n.write("$epoch-information", noRevision, []*record{{id: uuid.New(), typ: "$epoch-information", contentType: "application/json", data: []byte("{}")}})
	s := &Server{lis: lis, grpc: grpc.NewServer(), n: n, serveErr: make(chan error, 1)}
	api.RegisterStreamsServer(s.grpc, n)
	serverfeatures.RegisterServerFeaturesServer(s.grpc, features{version: n.version})
	go func() { s.serveErr <- s.grpc.Serve(lis) }()
	return s, nil
}

// Addr is the host:port the double listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// ConnectionString is an esdb:// connection string for the double.
func (s *Server) ConnectionString() string {
	return "esdb://" + s.Addr() + "?tls=false"
}

// Close stops the double, ending every open call.
func (s *Server) Close() error {
	var err error
	s.closing.Do(func() {
		close(s.n.done)
		s.n.wake.Notify()
		s.grpc.Stop()
		err = <-s.serveErr
		if errors.Is(err, grpc.ErrServerStopped) {
			err = nil
		}
	})
	return err
}

type features struct {
	serverfeatures.UnimplementedServerFeaturesServer
	version string
}

func (f features) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const svc = "event_store.client.streams.streams"
	return &serverfeatures.SupportedMethods{
		EventStoreServerVersion: f.version,
		Methods: []*serverfeatures.SupportedMethod{
			{ServiceName: svc, MethodName: "read"},
			{ServiceName: svc, MethodName: "append"},
			{ServiceName: svc, MethodName: "delete"},
			{ServiceName: svc, MethodName: "tombstone"},
		},
	}, nil
}

// write appends records to a stream (stream.records) and to the log. s.mu must be held.
// from is the stream's last revision before the write. It returns the written records.
func (s *node) write(name string, from uint64, recs []*record) []*record {
	st := s.streams[name]
	if st == nil {
		st = &stream{}
		s.streams[name] = st
	}
	now := time.Now().UnixNano() / 100
	for i, r := range recs {
		r.stream = name
		if r.revision != tombstoneRevision {
			r.revision = from + 1 + uint64(i) // from is noRevision (-1) for a new stream
		}
		r.created = now
		r.pos = s.next
		s.next += uint64(64 + len(name) + len(r.typ) + len(r.data) + len(r.meta))
		if r.revision != tombstoneRevision {
			st.records = append(st.records, r)
		}
		s.log = append(s.log, r)
		s.remember(r)
	}
	s.wake.Notify()
	return recs
}

func (s *node) remember(r *record) {
	if _, ok := s.cache[r.id]; !ok {
		s.order = append(s.order, r.id)
	}
	s.cache[r.id] = r
	for len(s.order) > s.cacheSize {
		delete(s.cache, s.order[0])
		s.order = s.order[1:]
	}
}

// Expected revisions, decoded from the protocol's oneofs.
type expectKind int

const (
	expAny expectKind = iota
	expNoStream
	expExists
	expRevision
)

type expected struct {
	kind expectKind
	rev  uint64
}

func (e expected) String() string {
	switch e.kind {
	case expNoStream:
		return "-1"
	case expExists:
		return "-4"
	case expRevision:
		return strconv.FormatUint(e.rev, 10)
	default:
		return "-2"
	}
}

// satisfied reports whether a stream in state st passes e (before idempotency checks).
func satisfied(e expected, st *stream) bool {
	last := st.lastRevision()
	switch e.kind {
	case expNoStream:
		return last == noRevision || st.softDeleted()
	case expExists:
		return last != noRevision && !st.softDeleted()
	case expRevision:
		// A soft-deleted stream still accepts its last revision, re-creating it.
		return last == e.rev
	}
	return true
}

func streamName(id *shared.StreamIdentifier) string {
	if id == nil {
		return ""
	}
	return string(id.StreamName)
}

func deletedErr(name string) error {
	return status.Error(codes.FailedPrecondition, fmt.Sprintf("Event stream '%s' is deleted.", name))
}

func deletedTrailer(name string) metadata.MD {
	return metadata.Pairs("exception", "stream-deleted", "stream-name", name)
}

func wrongVersionTrailer(name string, e expected, st *stream) metadata.MD {
	actual := "-1"
	if last := st.lastRevision(); last != noRevision {
		actual = strconv.FormatUint(last, 10)
	}
	return metadata.Pairs("exception", "wrong-expected-version", "stream-name", name,
		"expected-version", e.String(), "actual-version", actual)
}

func wrongVersionErr(op, name string, e expected, st *stream) error {
	actual := "-1"
	if last := st.lastRevision(); last != noRevision {
		actual = strconv.FormatUint(last, 10)
	}
	return status.Error(codes.FailedPrecondition, fmt.Sprintf("%s failed due to WrongExpectedVersion. Stream: %s, Expected version: %s, Actual version: %s", op, name, e, actual))
}

func decodeUUID(u *shared.UUID) (uuid.UUID, error) {
	if u == nil {
		return uuid.Nil, errors.New("missing event ID")
	}
	if st := u.GetStructured(); st != nil {
		var b [16]byte
		for i := 0; i < 8; i++ {
			b[i] = byte(uint64(st.MostSignificantBits) >> (56 - 8*i))
			b[8+i] = byte(uint64(st.LeastSignificantBits) >> (56 - 8*i))
		}
		return uuid.UUID(b), nil
	}
	return uuid.Parse(u.GetString_())
}

// Append implements the Streams service's Append call.
func (s *node) Append(srv api.Streams_AppendServer) error {
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first append message must carry the options")
	}
	name := streamName(opts.StreamIdentifier)
	if name == "" {
		return status.Error(codes.InvalidArgument, "stream name is empty")
	}
	var exp expected
	switch v := opts.ExpectedStreamRevision.(type) {
	case *api.AppendReq_Options_NoStream:
		exp.kind = expNoStream
	case *api.AppendReq_Options_StreamExists:
		exp.kind = expExists
	case *api.AppendReq_Options_Revision:
		exp = expected{kind: expRevision, rev: v.Revision}
	}
	var recs []*record
	size := 0
	for {
		m, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		p := m.GetProposedMessage()
		if p == nil {
			return status.Error(codes.InvalidArgument, "expected a proposed message")
		}
		if size += proto.Size(p); size > s.maxAppendSize {
			srv.SetTrailer(metadata.Pairs("exception", "maximum-append-size-exceeded", "maximum-append-size", strconv.Itoa(s.maxAppendSize)))
			return status.Error(codes.InvalidArgument, fmt.Sprintf("Maximum Append Size of %d Exceeded.", s.maxAppendSize))
		}
		id, err := decodeUUID(p.Id)
		if err != nil {
			return status.Error(codes.InvalidArgument, "invalid event ID: "+err.Error())
		}
		typ := p.Metadata["type"]
		if typ == "" {
			return status.Error(codes.InvalidArgument, "event type is missing")
		}
		ct := p.Metadata["content-type"]
		if ct == "" {
			ct = "application/octet-stream"
		}
		recs = append(recs, &record{id: id, typ: typ, contentType: ct, data: p.Data, meta: p.CustomMetadata})
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	if st != nil && st.tombstoned {
		srv.SetTrailer(deletedTrailer(name))
		return deletedErr(name)
	}
	if len(recs) > 0 {
		if resp, ok := s.replay(name, exp, st, recs); ok {
			return srv.SendAndClose(resp)
		}
	}
	if !satisfied(exp, st) {
		return srv.SendAndClose(wrongVersionResp(exp, st))
	}
	if len(recs) == 0 {
		succ := &api.AppendResp_Success{PositionOption: &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}}
		if last := st.lastRevision(); last == noRevision {
			succ.CurrentRevisionOption = &api.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
		} else {
			succ.CurrentRevisionOption = &api.AppendResp_Success_CurrentRevision{CurrentRevision: last}
		}
		return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: succ}})
	}
	last := st.lastRevision()
	if st.softDeleted() {
		// Re-creating a soft-deleted stream: the old events stay hidden, revisions continue.
		st.truncateBefore = last + 1
		s.write("$$"+name, s.streams["$$"+name].lastRevision(), []*record{{id: uuid.New(), typ: "$metadata", contentType: "application/json",
			data: []byte(fmt.Sprintf(`{"$tb":%d}`, last+1))}})
	}
	s.write(name, last, recs)
	return srv.SendAndClose(successResp(recs[len(recs)-1]))
}

func successResp(last *record) *api.AppendResp {
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.revision},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: last.pos, PreparePosition: last.pos}},
	}}}
}

// replayResp answers a write recognised as a replay: the original last revision and, as the
// server does for an idempotent write (it reports log position -1), no position.
func replayResp(last *record) *api.AppendResp {
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.revision},
		PositionOption:        &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}},
	}}}
}

func wrongVersionResp(e expected, st *stream) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	if last := st.lastRevision(); last == noRevision {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: last}
	}
	switch e.kind {
	case expAny:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	case expNoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: e.rev}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

// replay decides whether an append repeats an earlier one, following the server's rules.
// It returns the answer and true when the append must not be written: a success for a
// replay, WrongExpectedVersion for IDs that only partly match. s.mu must be held.
func (s *node) replay(name string, e expected, st *stream, recs []*record) (*api.AppendResp, bool) {
	last := st.lastRevision()
	switch e.kind {
	case expNoStream, expRevision:
		start := uint64(0)
		if e.kind == expRevision {
			start = e.rev + 1
		}
		if last == noRevision || (e.kind == expRevision && e.rev >= last) || (e.kind == expNoStream && st.softDeleted()) {
			return nil, false
		}
		// The expected revision is behind the stream: the write is a replay only if the
		// events after it carry exactly these IDs.
		for i, r := range recs {
			n := start + uint64(i)
			if n > last || st.records[n].id != r.id {
				return wrongVersionResp(e, st), true
			}
		}
		return replayResp(st.records[start+uint64(len(recs))-1]), true
	default:
		// Any and StreamExists: only the cache of recent IDs can tell.
		c, ok := s.cache[recs[0].id]
		if !ok || c.stream != name {
			return nil, false
		}
		for i, r := range recs {
			n := c.revision + uint64(i)
			if n > last || st.records[n].id != r.id {
				return wrongVersionResp(e, st), true
			}
		}
		return replayResp(st.records[c.revision+uint64(len(recs))-1]), true
	}
}

func deleteExpected(rev any) expected {
	switch v := rev.(type) {
	case *api.DeleteReq_Options_NoStream, *api.TombstoneReq_Options_NoStream:
		return expected{kind: expNoStream}
	case *api.DeleteReq_Options_StreamExists, *api.TombstoneReq_Options_StreamExists:
		return expected{kind: expExists}
	case *api.DeleteReq_Options_Revision:
		return expected{kind: expRevision, rev: v.Revision}
	case *api.TombstoneReq_Options_Revision:
		return expected{kind: expRevision, rev: v.Revision}
	}
	return expected{kind: expAny}
}

// Delete implements the Streams service's soft delete.
func (s *node) Delete(ctx context.Context, req *api.DeleteReq) (*api.DeleteResp, error) {
	name := streamName(req.GetOptions().GetStreamIdentifier())
	if name == "" {
		return nil, status.Error(codes.InvalidArgument, "stream name is empty")
	}
	e := deleteExpected(req.GetOptions().GetExpectedStreamRevision())
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	if st != nil && st.tombstoned {
		_ = grpc.SetTrailer(ctx, deletedTrailer(name))
		return nil, deletedErr(name)
	}
	if !deleteSatisfied(e, st) {
		_ = grpc.SetTrailer(ctx, wrongVersionTrailer(name, e, st))
		return nil, wrongVersionErr("Delete", name, e, st)
	}
	if st == nil {
		st = &stream{}
		s.streams[name] = st
	}
	st.truncateBefore = math.MaxUint64
	meta := "$$" + name
	r := s.write(meta, s.streams[meta].lastRevision(), []*record{{id: uuid.New(), typ: "$metadata", contentType: "application/json",
		data: []byte(fmt.Sprintf(`{"$tb":%d}`, int64(math.MaxInt64)))}})[0]
	return &api.DeleteResp{PositionOption: &api.DeleteResp_Position_{Position: &api.DeleteResp_Position{
		CommitPosition: r.pos, PreparePosition: r.pos}}}, nil
}

// deleteSatisfied checks an expected revision for delete and tombstone, where a
// soft-deleted stream still counts with its last revision.
func deleteSatisfied(e expected, st *stream) bool {
	last := st.lastRevision()
	switch e.kind {
	case expNoStream:
		return last == noRevision
	case expExists:
		return last != noRevision && !st.softDeleted()
	case expRevision:
		return last == e.rev
	}
	return true
}

// Tombstone implements the Streams service's hard delete.
func (s *node) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	name := streamName(req.GetOptions().GetStreamIdentifier())
	if name == "" {
		return nil, status.Error(codes.InvalidArgument, "stream name is empty")
	}
	e := deleteExpected(req.GetOptions().GetExpectedStreamRevision())
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[name]
	if st != nil && st.tombstoned {
		_ = grpc.SetTrailer(ctx, deletedTrailer(name))
		return nil, deletedErr(name)
	}
	if !deleteSatisfied(e, st) {
		_ = grpc.SetTrailer(ctx, wrongVersionTrailer(name, e, st))
		return nil, wrongVersionErr("Tombstone", name, e, st)
	}
	r := s.write(name, st.lastRevision(), []*record{{id: uuid.New(), typ: "$streamDeleted", contentType: "application/octet-stream", revision: tombstoneRevision}})[0]
	s.streams[name].tombstoned = true
	return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{
		CommitPosition: r.pos, PreparePosition: r.pos}}}, nil
}

// filter is a decoded server-side filter.
type filter struct {
	onType   bool
	prefixes []string
	re       *regexp.Regexp
}

func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	s := r.stream
	if f.onType {
		s = r.typ
	}
	if f.re != nil {
		return f.re.MatchString(s)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func decodeFilter(o *api.ReadReq_Options) (*filter, error) {
	fo := o.GetFilter()
	if fo == nil {
		return nil, nil
	}
	f := &filter{}
	var ex *api.ReadReq_Options_FilterOptions_Expression
	switch v := fo.Filter.(type) {
	case *api.ReadReq_Options_FilterOptions_EventType:
		f.onType, ex = true, v.EventType
	case *api.ReadReq_Options_FilterOptions_StreamIdentifier:
		ex = v.StreamIdentifier
	default:
		return nil, status.Error(codes.InvalidArgument, "filter without an expression")
	}
	if ex.GetRegex() != "" {
		re, err := regexp.Compile(ex.GetRegex())
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, "invalid filter regex: "+err.Error())
		}
		f.re = re
	} else {
		f.prefixes = ex.GetPrefix()
	}
	return f, nil
}

// Read implements the Streams service's Read call: counted reads and subscriptions of a
// stream or of $all.
func (s *node) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "read options are missing")
	}
	structured := o.GetUuidOption().GetString_() == nil
	flt, err := decodeFilter(o)
	if err != nil {
		return err
	}
	backward := o.ReadDirection == api.ReadReq_Options_Backwards
	if o.GetSubscription() != nil {
		if backward {
			return status.Error(codes.InvalidArgument, "subscriptions read forwards")
		}
		if o.GetAll() == nil {
			return status.Error(codes.Unimplemented, "the test double supports subscriptions to $all only")
		}
		return s.subscribeAll(o.GetAll(), flt, structured, srv)
	}
	count := o.GetCount()
	if so := o.GetStream(); so != nil {
		return s.readStream(so, backward, count, structured, srv)
	}
	if ao := o.GetAll(); ao != nil {
		return s.readAll(ao, backward, count, flt, structured, srv)
	}
	return status.Error(codes.InvalidArgument, "read of neither a stream nor $all")
}

func (s *node) readStream(so *api.ReadReq_Options_StreamOptions, backward bool, count uint64, structured bool, srv api.Streams_ReadServer) error {
	name := streamName(so.StreamIdentifier)
	s.mu.Lock()
	st := s.streams[name]
	if st != nil && st.tombstoned {
		s.mu.Unlock()
		srv.SetTrailer(deletedTrailer(name))
		return deletedErr(name)
	}
	if st == nil || len(st.records) == 0 || st.softDeleted() {
		s.mu.Unlock()
		return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)}}}})
	}
	var out []*record
	last := uint64(len(st.records) - 1)
	if backward {
		from := last
		if r, ok := so.RevisionOption.(*api.ReadReq_Options_StreamOptions_Revision); ok && r.Revision < from {
			from = r.Revision
		} else if _, ok := so.RevisionOption.(*api.ReadReq_Options_StreamOptions_Start); ok {
			from = 0
		}
		for n := int64(from); n >= int64(st.truncateBefore) && uint64(len(out)) < count; n-- {
			out = append(out, st.records[n])
		}
	} else {
		from := st.truncateBefore
		if r, ok := so.RevisionOption.(*api.ReadReq_Options_StreamOptions_Revision); ok && r.Revision > from {
			from = r.Revision
		} else if _, ok := so.RevisionOption.(*api.ReadReq_Options_StreamOptions_End); ok {
			from = last + 1
		}
		for n := from; n <= last && uint64(len(out)) < count; n++ {
			out = append(out, st.records[n])
		}
	}
	s.mu.Unlock()
	for _, r := range out {
		if err := srv.Send(readEvent(r, structured)); err != nil {
			return err
		}
	}
	return nil
}

func allStart(ao *api.ReadReq_Options_AllOptions, end uint64) uint64 {
	switch v := ao.AllOption.(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		return v.Position.CommitPosition
	case *api.ReadReq_Options_AllOptions_End:
		return end
	}
	return 0
}

// search returns the index of the first log record at or after pos. s.mu must be held.
func (s *node) search(pos uint64) int {
	lo, hi := 0, len(s.log)
	for lo < hi {
		m := (lo + hi) / 2
		if s.log[m].pos < pos {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (s *node) readAll(ao *api.ReadReq_Options_AllOptions, backward bool, count uint64, flt *filter, structured bool, srv api.Streams_ReadServer) error {
	s.mu.Lock()
	var out []*record
	if backward {
		i := len(s.log) - 1
		if _, ok := ao.AllOption.(*api.ReadReq_Options_AllOptions_Position); ok {
			i = s.search(allStart(ao, s.next)) - 1 // backwards from a position excludes it
		}
		for ; i >= 0 && uint64(len(out)) < count; i-- {
			if flt.match(s.log[i]) {
				out = append(out, s.log[i])
			}
		}
	} else {
		for i := s.search(allStart(ao, s.next)); i < len(s.log) && uint64(len(out)) < count; i++ {
			if flt.match(s.log[i]) {
				out = append(out, s.log[i])
			}
		}
	}
	s.mu.Unlock()
	for _, r := range out {
		if err := srv.Send(readEvent(r, structured)); err != nil {
			return err
		}
	}
	return nil
}

// subscribeAll serves a catch-up subscription to $all: confirmation, the backlog after the
// start position, a checkpoint and CaughtUp, then live records until the client goes away.
// It holds at most one batch of record pointers; gRPC flow control bounds what is in flight.
func (s *node) subscribeAll(ao *api.ReadReq_Options_AllOptions, flt *filter, structured bool, srv api.Streams_ReadServer) error {
	if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString()}}}); err != nil {
		return err
	}
	s.mu.Lock()
	var i int
	if p, ok := ao.AllOption.(*api.ReadReq_Options_AllOptions_Position); ok {
		i = s.search(p.Position.CommitPosition)
		if i < len(s.log) && s.log[i].pos == p.Position.CommitPosition {
			i++ // a subscription starts after its position
		}
	} else if _, ok := ao.AllOption.(*api.ReadReq_Options_AllOptions_End); ok {
		i = len(s.log)
	}
	s.mu.Unlock()
	caughtUp := false
	ctx := srv.Context()
	for {
		woke := s.wake.C()
		s.mu.Lock()
		end := len(s.log)
		batch := s.log[i:min(end, i+256)]
		var lastPos uint64
		if end > 0 {
			lastPos = s.log[end-1].pos
		}
		s.mu.Unlock()
		for _, r := range batch {
			if !flt.match(r) {
				continue
			}
			if err := srv.Send(readEvent(r, structured)); err != nil {
				return err
			}
		}
		i += len(batch)
		if i < end {
			continue
		}
		if !caughtUp {
			caughtUp = true
			if end > 0 {
				if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
					CommitPosition: lastPos, PreparePosition: lastPos}}}); err != nil {
					return err
				}
			}
			if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return status.Error(codes.Unavailable, "server is shutting down")
		case <-woke:
		}
	}
}

func readEvent(r *record, structured bool) *api.ReadResp {
	id := &shared.UUID{}
	if structured {
		b := r.id
		var most, least uint64
		for i := 0; i < 8; i++ {
			most = most<<8 | uint64(b[i])
			least = least<<8 | uint64(b[8+i])
		}
		id.Value = &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
			MostSignificantBits: int64(most), LeastSignificantBits: int64(least)}}
	} else {
		id.Value = &shared.UUID_String_{String_: r.id.String()}
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               id,
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.pos,
			CommitPosition:   r.pos,
			Metadata: map[string]string{
				"type":         r.typ,
				"content-type": r.contentType,
				"created":      strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.pos},
	}}}
}
