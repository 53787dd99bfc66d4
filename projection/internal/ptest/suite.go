package ptest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/projection"
)

// PoisonAmount marks a deposit the test handler fails on until it is "fixed".
const PoisonAmount = -999

// Model is a read model of the ledger in some target's database.
type Model[Tx any] interface {
	// Add applies a deposit to the read-model version in ctx (projection.VersionFrom).
	// Transactional models must not be idempotent (so a double application shows); models
	// without a transaction upsert keyed on ev.Version.
	Add(ctx context.Context, tx Tx, ev *eventstore.Event, amount int64) error
	// Rows reads a version of the read model.
	Rows(ctx context.Context, version int) (map[string]Row, error)
	// Prepare creates a version's tables; Drop removes them; Clear empties them.
	Prepare(ctx context.Context, tx Tx, version int) error
	Drop(ctx context.Context, tx Tx, version int) error
	Clear(ctx context.Context, tx Tx, version int) error
}

// Fixture is what a target's tests provide to the suite, fresh for each test.
type Fixture[Tx any] struct {
	Store  eventstore.Store
	Target projection.Target[Tx]
	Model  Model[Tx]
}

// Ledger is the test handler: it applies deposits through the model, fails on poison until
// Fixed is set, and calls Hook first when set.
type Ledger[Tx any] struct {
	Model Model[Tx]
	Fixed atomic.Bool
	Calls atomic.Int64
	Hook  func(ctx context.Context, ev *eventstore.Event) error
}

// OnDeposited implements LedgerHandler.
func (l *Ledger[Tx]) OnDeposited(ctx context.Context, tx Tx, e *Deposited, ev *eventstore.Event) error {
	l.Calls.Add(1)
	if l.Hook != nil {
		if err := l.Hook(ctx, ev); err != nil {
			return err
		}
	}
	if e.Amount == PoisonAmount && !l.Fixed.Load() {
		return fmt.Errorf("ptest: poison deposit in %s", ev.StreamID)
	}
	return l.Model.Add(ctx, tx, ev, e.Amount)
}

// Signal is a progress callback that wakes waiters.
type Signal struct{ ch chan struct{} }

// NewSignal returns a Signal.
func NewSignal() *Signal { return &Signal{ch: make(chan struct{}, 1)} }

// Progress is a projection.WithProgress callback.
func (s *Signal) Progress(projection.Progress) {
	select {
	case s.ch <- struct{}{}:
	default:
	}
}

// WaitFor waits until cond holds, checking it after every progress report (and every 50ms as
// a safety net against a missed report); it fails t after a minute.
func (s *Signal) WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-s.ch:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// AppendDeposits appends n deposits of amount i%7+1 across streams accounts, 5 per append,
// with a note every 4 appends.
func AppendDeposits(ctx context.Context, t testing.TB, s eventstore.Appender, prefix string, accounts, n int) {
	t.Helper()
	for i := 0; i < n; i += 5 {
		var evs []eventstore.EventData
		for j := i; j < i+5 && j < n; j++ {
			evs = append(evs, Deposit(int64(j%7+1)))
		}
		if (i/5)%4 == 3 {
			evs = append(evs, Note("n"))
		}
		if _, err := s.Append(ctx, fmt.Sprintf("%s-%d", prefix, (i/5)%accounts), eventstore.Any, evs...); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

// Active returns the active checkpoint of name in target.
func Active[Tx any](ctx context.Context, t testing.TB, target projection.Target[Tx], name string) projection.Checkpoint {
	t.Helper()
	cps, err := target.Checkpoints(ctx, name)
	if err != nil {
		t.Fatalf("checkpoints: %v", err)
	}
	for _, c := range cps {
		if c.Active {
			return c
		}
	}
	return projection.Checkpoint{}
}

// CaughtUp reports whether the active checkpoint of name reached pos.
func CaughtUp[Tx any](ctx context.Context, t testing.TB, target projection.Target[Tx], name string, pos eventstore.Position) func() bool {
	return func() bool {
		c := Active(ctx, t, target, name)
		return !c.Position.Less(pos)
	}
}

// CheckModel compares a version of the read model with the fold of the log.
func CheckModel[Tx any](ctx context.Context, t testing.TB, f Fixture[Tx], version int, skip func(int64) bool) {
	t.Helper()
	Settle(ctx, t, f.Store)
	want, _, err := Fold(ctx, f.Store, skip)
	if err != nil {
		t.Fatalf("fold: %v", err)
	}
	got, err := f.Model.Rows(ctx, version)
	if err != nil {
		t.Fatalf("read model: %v", err)
	}
	if d := Diff(got, want); d != "" {
		t.Fatalf("read model version %d differs from the fold of the log:\n%s", version, d)
	}
}

// quiet keeps the runners' logs out of test output.
var quiet = projection.WithLogger(slog.New(slog.DiscardHandler))

func fastRetry() projection.Option {
	return projection.WithRetry(projection.Retry{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
}

// start runs r in the background; the returned function stops it and returns Run's error.
func start[Tx any](ctx context.Context, r *projection.Runner[Tx]) func() error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
}

// Run runs every scenario against the fixtures newFixture makes.
func Run[Tx any](t *testing.T, newFixture func(t *testing.T) Fixture[Tx]) {
	t.Run("CatchUpThenLive", func(t *testing.T) { catchUpThenLive(t, newFixture(t)) })
	t.Run("PoisonParkedThenReplayed", func(t *testing.T) { poison(t, newFixture(t)) })
	t.Run("HaltPolicy", func(t *testing.T) { halt(t, newFixture(t)) })
	t.Run("TwoRunnersHandOver", func(t *testing.T) { twoRunners(t, newFixture(t)) })
	t.Run("PausedOwnerIsFenced", func(t *testing.T) { fencing(t, newFixture(t)) })
	t.Run("RebuildWhileAppending", func(t *testing.T) { rebuild(t, newFixture(t)) })
	t.Run("ResetAndReplay", func(t *testing.T) { reset(t, newFixture(t)) })
	t.Run("SnapshotResume", func(t *testing.T) { snapshot(t, newFixture(t)) })
}

func catchUpThenLive[Tx any](t *testing.T, f Fixture[Tx]) {
	ctx := t.Context()
	AppendDeposits(ctx, t, f.Store, "acct", 7, 600)
	sig := NewSignal()
	h := &Ledger[Tx]{Model: f.Model}
	r, err := projection.NewRunner(f.Store, f.Target, NewLedgerProjection[Tx]("ledger", h), quiet,
		projection.WithBatchSize(64), projection.WithLeaseTTL(2*time.Second), projection.WithProgress(sig.Progress))
	if err != nil {
		t.Fatal(err)
	}
	Settle(ctx, t, f.Store)
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.LagEvents != 600 || st.LagCapped || st.Lag <= 0 || st.Head.IsZero() || st.Version != 0 {
		t.Fatalf("status before running: %+v; want a lag of 600 events and some time, version 0 (never ran)", st)
	}
	stop := start(ctx, r)
	_, last := settle(ctx, t, f.Store)
	sig.WaitFor(t, "catch-up", CaughtUp(ctx, t, f.Target, "ledger", last))
	CheckModel(ctx, t, f, 1, nil)
	AppendDeposits(ctx, t, f.Store, "acct", 9, 120)
	_, last = settle(ctx, t, f.Store)
	sig.WaitFor(t, "live events", CaughtUp(ctx, t, f.Target, "ledger", last))
	CheckModel(ctx, t, f, 1, nil)
	st, err = r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.LagEvents != 0 || st.Owner != r.Owner() || !st.Leased || st.Epoch == 0 || st.Checkpoint != last || st.DeadLetters != 0 {
		t.Fatalf("status when caught up: %+v; want no lag, owner %s, leased, checkpoint %s", st, r.Owner(), last)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v after its context ended, want nil", err)
	}
	if calls := h.Calls.Load(); calls != 720 {
		t.Fatalf("handler called %d times for 720 deposits", calls)
	}
}

func poison[Tx any](t *testing.T, f Fixture[Tx]) {
	ctx := t.Context()
	AppendDeposits(ctx, t, f.Store, "acct", 3, 50)
	if _, err := f.Store.Append(ctx, "acct-bad", eventstore.Any, Deposit(5), Deposit(PoisonAmount), Deposit(7)); err != nil {
		t.Fatal(err)
	}
	AppendDeposits(ctx, t, f.Store, "acct", 3, 50)
	sig := NewSignal()
	h := &Ledger[Tx]{Model: f.Model}
	r, err := projection.NewRunner(f.Store, f.Target, NewLedgerProjection[Tx]("ledger", h), quiet,
		projection.WithBatchSize(16), fastRetry(), projection.WithProgress(sig.Progress))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(ctx, r)
	_, last := settle(ctx, t, f.Store)
	sig.WaitFor(t, "catch-up past the poison event", CaughtUp(ctx, t, f.Target, "ledger", last))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	skipPoison := func(a int64) bool { return a == PoisonAmount }
	CheckModel(ctx, t, f, 1, skipPoison)
	dls, err := r.DeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 {
		t.Fatalf("%d dead letters, want 1: %+v", len(dls), dls)
	}
	d := dls[0]
	if d.Event.StreamID != "acct-bad" || d.Event.Version != 2 || d.Attempts != 3 || d.Error == "" || d.Event.Type != DepositedType || len(d.Event.Data) == 0 {
		t.Fatalf("dead letter %+v: want acct-bad version 2 after 3 attempts, with its error and payload", d)
	}
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.DeadLetters != 1 {
		t.Fatalf("status counts %d dead letters, want 1", st.DeadLetters)
	}
	// Replay before the fix fails and keeps the dead letter.
	if err := r.ReplayDeadLetter(ctx, d.ID); err == nil {
		t.Fatal("replaying the poison event before the fix succeeded")
	}
	h.Fixed.Store(true)
	if err := r.ReplayDeadLetter(ctx, d.ID); err != nil {
		t.Fatalf("replay after the fix: %v", err)
	}
	if err := r.ReplayDeadLetter(ctx, d.ID); !errors.Is(err, projection.ErrDeadLetterNotFound) {
		t.Fatalf("second replay: %v, want ErrDeadLetterNotFound", err)
	}
	CheckModel(ctx, t, f, 1, nil)
	if n, _ := f.Target.CountDeadLetters(ctx, "ledger"); n != 0 {
		t.Fatalf("%d dead letters left after the replay", n)
	}
}

func halt[Tx any](t *testing.T, f Fixture[Tx]) {
	ctx := t.Context()
	if _, err := f.Store.Append(ctx, "acct-1", eventstore.Any, Deposit(1), Deposit(2), Deposit(PoisonAmount), Deposit(4)); err != nil {
		t.Fatal(err)
	}
	Settle(ctx, t, f.Store)
	h := &Ledger[Tx]{Model: f.Model}
	r, err := projection.NewRunner(f.Store, f.Target, NewLedgerProjection[Tx]("ledger", h), quiet,
		fastRetry(), projection.WithFailurePolicy(projection.Halt))
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(ctx)
	var he *projection.HaltedError
	if !errors.Is(err, projection.ErrHalted) || !errors.As(err, &he) || he.Failure.Attempts != 3 || he.Failure.Event.Version != 3 {
		t.Fatalf("Run returned %v, want a HaltedError after 3 attempts on version 3", err)
	}
	got, err := f.Model.Rows(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got["acct-1"] != (Row{Count: 2, Sum: 3}) {
		t.Fatalf("read model after halting: %+v, want the two events before the poison", got)
	}
	// The checkpoint stands exactly after version 2, the last event applied before the poison.
	var second eventstore.Event
	for e, err := range f.Store.ReadStream(ctx, "acct-1", eventstore.ReadStreamOptions{From: 2, Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		second = e
	}
	if cp := Active(ctx, t, f.Target, "ledger"); cp.Position != second.Position {
		t.Fatalf("checkpoint %s after halting, want %s (version 2, the last event before the poison)", cp.Position, second.Position)
	}
	if n, _ := f.Target.CountDeadLetters(ctx, "ledger"); n != 0 {
		t.Fatalf("Halt parked %d dead letters", n)
	}
}

// stubborn wraps a target so that Release does nothing, as when a process is killed.
type stubborn[Tx any] struct{ projection.Target[Tx] }

func (stubborn[Tx]) Release(context.Context, projection.Lease) error { return nil }

func twoRunners[Tx any](t *testing.T, f Fixture[Tx]) {
	ctx := t.Context()
	AppendDeposits(ctx, t, f.Store, "acct", 5, 300)
	sig := NewSignal()
	var owners sync.Map
	mk := func(owner string) *projection.Runner[Tx] {
		h := &Ledger[Tx]{Model: f.Model, Hook: func(context.Context, *eventstore.Event) error {
			owners.Store(owner, true)
			return nil
		}}
		r, err := projection.NewRunner(f.Store, projection.Target[Tx](stubborn[Tx]{f.Target}), NewLedgerProjection[Tx]("ledger", h), quiet,
			projection.WithOwner(owner), projection.WithBatchSize(32), projection.WithLeaseTTL(time.Second),
			projection.WithProgress(sig.Progress), projection.WithPollInterval(20*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := mk("a"), mk("b")
	stopA := start(ctx, a)
	_, last := settle(ctx, t, f.Store)
	sig.WaitFor(t, "a to catch up", CaughtUp(ctx, t, f.Target, "ledger", last))
	stopB := start(ctx, b)
	defer stopB()
	AppendDeposits(ctx, t, f.Store, "acct", 5, 100)
	_, last = settle(ctx, t, f.Store)
	sig.WaitFor(t, "the owner to apply new events", CaughtUp(ctx, t, f.Target, "ledger", last))
	if _, ok := owners.Load("b"); ok {
		t.Fatal("b applied events while a held the lease")
	}
	l, _, _ := f.Target.CurrentLease(ctx, "ledger")
	if l.Owner != "a" {
		t.Fatalf("lease held by %q, want a", l.Owner)
	}
	// "Kill" a: it stops without releasing its lease; b takes over once it expires.
	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	AppendDeposits(ctx, t, f.Store, "acct", 5, 100)
	_, last = settle(ctx, t, f.Store)
	sig.WaitFor(t, "b to take over", CaughtUp(ctx, t, f.Target, "ledger", last))
	if _, ok := owners.Load("b"); !ok {
		t.Fatal("b did not apply events after a stopped")
	}
	l2, _, _ := f.Target.CurrentLease(ctx, "ledger")
	if l2.Owner != "b" || l2.Epoch <= l.Epoch {
		t.Fatalf("lease after hand-over: %+v, want b with an epoch above %d", l2, l.Epoch)
	}
	CheckModel(ctx, t, f, 1, nil)
}

// pausing wraps a target: the first Begin freezes until resumed (the process stopped between
// reading events and applying them), Renew claims success without reaching the target (as a
// frozen process, or one with a skewed clock, believes), and the outcome of every commit
// attempt is recorded. The freeze is outside the unit, since SQLite has one writer: a unit
// frozen open would block the other instance.
type pausing[Tx any] struct {
	projection.Target[Tx]
	commits chan error
	once    sync.Once
	frozen  chan struct{} // closed when the first unit is about to begin
	resume  chan struct{} // closed to let it begin
}

func (p *pausing[Tx]) Renew(_ context.Context, l projection.Lease, _ time.Duration) (projection.Lease, error) {
	return l, nil
}

func (p *pausing[Tx]) Begin(ctx context.Context) (projection.Unit[Tx], error) {
	p.once.Do(func() {
		close(p.frozen)
		<-p.resume
	})
	u, err := p.Target.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &recUnit[Tx]{Unit: u, commits: p.commits}, nil
}

type recUnit[Tx any] struct {
	projection.Unit[Tx]
	commits chan error
	err     error
}

func (u *recUnit[Tx]) Advance(ctx context.Context, a projection.Advance) error {
	u.err = u.Unit.Advance(ctx, a)
	if u.err != nil {
		select {
		case u.commits <- u.err:
		default:
		}
	}
	return u.err
}

func (u *recUnit[Tx]) Commit(ctx context.Context) error {
	err := u.Unit.Commit(ctx)
	select {
	case u.commits <- err:
	default:
	}
	return err
}

func fencing[Tx any](t *testing.T, f Fixture[Tx]) {
	ctx := t.Context()
	AppendDeposits(ctx, t, f.Store, "acct", 4, 100)
	resume := make(chan struct{})
	frozen := make(chan struct{})
	pt := &pausing[Tx]{Target: f.Target, commits: make(chan error, 1000), frozen: frozen, resume: resume}
	ha := &Ledger[Tx]{Model: f.Model}
	ttl := 200 * time.Millisecond
	a, err := projection.NewRunner(f.Store, projection.Target[Tx](pt), NewLedgerProjection[Tx]("ledger", ha), quiet,
		projection.WithOwner("a"), projection.WithLeaseTTL(ttl), projection.WithBatchSize(10))
	if err != nil {
		t.Fatal(err)
	}
	stopA := start(ctx, a)
	defer stopA()
	<-frozen // a holds the lease, has read its first batch and is frozen before applying it
	sig := NewSignal()
	b, err := projection.NewRunner(f.Store, f.Target, NewLedgerProjection[Tx]("ledger", &Ledger[Tx]{Model: f.Model}), quiet,
		projection.WithOwner("b"), projection.WithLeaseTTL(ttl), projection.WithProgress(sig.Progress))
	if err != nil {
		t.Fatal(err)
	}
	stopB := start(ctx, b)
	defer stopB()
	_, last := settle(ctx, t, f.Store)
	sig.WaitFor(t, "b to take over from the frozen a", CaughtUp(ctx, t, f.Target, "ledger", last))
	close(resume) // a wakes up and tries to commit its batch
	select {
	case err := <-pt.commits:
		if !errors.Is(err, projection.ErrFenced) {
			t.Fatalf("the former owner's commit returned %v, want ErrFenced", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the former owner never tried to commit")
	}
	CheckModel(ctx, t, f, 1, nil)
	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	CheckModel(ctx, t, f, 1, nil)
}

func rebuild[Tx any](t *testing.T, f Fixture[Tx]) {
	ctx := t.Context()
	AppendDeposits(ctx, t, f.Store, "acct", 6, 400)
	sig := NewSignal()
	h := &Ledger[Tx]{Model: f.Model}
	live, err := projection.NewRunner(f.Store, f.Target, NewLedgerProjection[Tx]("ledger", h), quiet,
		projection.WithOwner("live"), projection.WithBatchSize(50), projection.WithProgress(sig.Progress),
		projection.WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	stopLive := start(ctx, live)
	defer stopLive()
	_, last := settle(ctx, t, f.Store)
	sig.WaitFor(t, "live catch-up", CaughtUp(ctx, t, f.Target, "ledger", last))

	// Writers keep appending during the rebuild. They stop between appends, never by
	// cancelling one: a cancelled append may still commit on the server after the client
	// gave up, too late for the checks below.
	var stopping atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stopping.Load() && i < 200; i++ {
				if _, err := f.Store.Append(ctx, fmt.Sprintf("w%d-%d", w, i%5), eventstore.Any, Deposit(int64(i%5+1))); err != nil {
					t.Errorf("writer: %v", err)
					return
				}
				written.Add(1)
			}
		}()
	}
	rb, err := projection.NewRunner(f.Store, f.Target, NewLedgerProjection[Tx]("ledger", &Ledger[Tx]{Model: f.Model}), quiet,
		projection.WithOwner("rebuilder"), projection.WithBatchSize(40))
	if err != nil {
		t.Fatal(err)
	}
	var reports []projection.Progress
	var midway sync.Once
	nv, err := rb.Rebuild(ctx, projection.RebuildOptions[Tx]{
		Prepare: f.Model.Prepare,
		Retire:  f.Model.Drop,
		Progress: func(p projection.Progress) {
			reports = append(reports, p)
			// Make sure writers append while the rebuild is under way (after its first
			// batch, outside any transaction), however fast it is.
			midway.Do(func() {
				until := written.Load() + 10
				deadline := time.Now().Add(time.Minute)
				for written.Load() < until && time.Now().Before(deadline) && !stopping.Load() {
					runtime.Gosched()
					time.Sleep(time.Millisecond)
				}
			})
		},
	})
	if err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	stopping.Store(true)
	wg.Wait()
	if nv != 2 {
		t.Fatalf("rebuild built version %d, want 2", nv)
	}
	if len(reports) == 0 || reports[len(reports)-1].Phase != "done" || reports[len(reports)-1].Done < 400 {
		t.Fatalf("progress reports: %d, last %+v; want a final done report with at least 400 events", len(reports), reports)
	}
	_, last = settle(ctx, t, f.Store)
	sig.WaitFor(t, "the live runner to follow the new version", func() bool {
		c := Active(ctx, t, f.Target, "ledger")
		return c.Version == 2 && !c.Position.Less(last)
	})
	CheckModel(ctx, t, f, 2, nil)
	if dls, _ := f.Target.DeadLetters(ctx, "ledger"); len(dls) != 0 {
		t.Fatalf("the rebuild left %d dead letters: %+v", len(dls), dls)
	}
	cps, err := f.Target.Checkpoints(ctx, "ledger")
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 1 || cps[0].Version != 2 || !cps[0].Active {
		t.Fatalf("checkpoints after the rebuild: %+v, want only version 2, active", cps)
	}
	if written.Load() == 0 {
		t.Fatal("no events were written during the rebuild")
	}
}

func reset[Tx any](t *testing.T, f Fixture[Tx]) {
	ctx := t.Context()
	AppendDeposits(ctx, t, f.Store, "acct", 4, 100)
	sig := NewSignal()
	h := &Ledger[Tx]{Model: f.Model}
	r, err := projection.NewRunner(f.Store, f.Target, NewLedgerProjection[Tx]("ledger", h), quiet, projection.WithProgress(sig.Progress))
	if err != nil {
		t.Fatal(err)
	}
	_, last := settle(ctx, t, f.Store)
	stop := start(ctx, r)
	sig.WaitFor(t, "catch-up", CaughtUp(ctx, t, f.Target, "ledger", last))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := r.Reset(ctx, f.Model.Clear); err != nil {
		t.Fatal(err)
	}
	if c := Active(ctx, t, f.Target, "ledger"); !c.Position.IsZero() {
		t.Fatalf("checkpoint after reset: %s, want the start", c.Position)
	}
	if rows, _ := f.Model.Rows(ctx, 1); len(rows) != 0 {
		t.Fatalf("read model after reset has %d rows", len(rows))
	}
	stop = start(ctx, r)
	defer stop()
	sig.WaitFor(t, "replay", CaughtUp(ctx, t, f.Target, "ledger", last))
	CheckModel(ctx, t, f, 1, nil)
}

// state is the in-memory read model of the snapshot scenario.
type state struct {
	Rows map[string]Row `json:"rows"`
}

type stateLedger struct{ calls atomic.Int64 }

func (l *stateLedger) OnDeposited(_ context.Context, s *state, e *Deposited, ev *eventstore.Event) error {
	l.calls.Add(1)
	r := s.Rows[ev.StreamID]
	r.Count++
	r.Sum += e.Amount
	s.Rows[ev.StreamID] = r
	return nil
}

func snapshot[Tx any](t *testing.T, f Fixture[Tx]) {
	ctx := t.Context()
	AppendDeposits(ctx, t, f.Store, "acct", 5, 230)
	opts := projection.SnapshotOptions[state]{
		New:           func() *state { return &state{Rows: map[string]Row{}} },
		Encode:        func(s *state) ([]byte, error) { return jsonMarshal(s) },
		Decode:        func(b []byte) (*state, error) { s := &state{}; return s, jsonUnmarshal(b, s) },
		SchemaVersion: 1,
		Every:         50,
	}
	run := func() (*projection.SnapshotTarget[state, Tx], *stateLedger) {
		st, err := projection.NewSnapshotTarget(f.Target, opts)
		if err != nil {
			t.Fatal(err)
		}
		h := &stateLedger{}
		sig := NewSignal()
		r, err := projection.NewRunner(f.Store, projection.Target[*state](st), NewLedgerProjection[*state]("ledger-mem", h), quiet,
			projection.WithBatchSize(20), projection.WithProgress(sig.Progress))
		if err != nil {
			t.Fatal(err)
		}
		stop := start(ctx, r)
		defer stop()
		want, last := settle(ctx, t, f.Store)
		sig.WaitFor(t, "the in-memory projection to catch up", func() bool {
			var at eventstore.Position
			st.View(func(_ *state, p eventstore.Position) { at = p })
			return !at.Less(last)
		})
		st.View(func(s *state, _ eventstore.Position) {
			if d := Diff(s.Rows, want); d != "" {
				t.Fatalf("in-memory state differs from the fold:\n%s", d)
			}
		})
		return st, h
	}
	_, h1 := run()
	if h1.calls.Load() != 230 {
		t.Fatalf("first run applied %d events, want 230", h1.calls.Load())
	}
	snap, ok, err := f.Target.LoadSnapshot(ctx, "ledger-mem", 1)
	if err != nil || !ok {
		t.Fatalf("no snapshot saved: %v", err)
	}
	AppendDeposits(ctx, t, f.Store, "acct", 5, 40)
	// Count the events after the snapshot: only those are applied on restart.
	Settle(ctx, t, f.Store)
	after := 0
	for e, err := range f.Store.ReadAll(ctx, eventstore.ReadAllOptions{After: snap.Position, Types: []string{DepositedType}}) {
		if err != nil {
			t.Fatal(err)
		}
		_ = e
		after++
	}
	st2, h2 := run()
	if got := h2.calls.Load(); got != int64(after) {
		t.Fatalf("restart applied %d events, want the %d after the snapshot at %s", got, after, snap.Position)
	}
	if err := st2.SkippedSnapshot(); err != nil {
		t.Fatalf("snapshot not used: %v", err)
	}
	// A snapshot of another schema version is ignored: a full replay.
	opts.SchemaVersion = 2
	_, h3 := run()
	if got := h3.calls.Load(); got != 270 {
		t.Fatalf("with a stale snapshot schema the projection applied %d events, want a full replay of 270", got)
	}
}

// Settle waits until everything appended so far is visible to log readers: on PostgreSQL a
// reader sees events only below the oldest running transaction, which may be another test's.
// It appends a note (ignored by the projection) and waits until the head reaches it.
func Settle(ctx context.Context, t testing.TB, s eventstore.Store) {
	t.Helper()
	res, err := s.Append(ctx, "settle", eventstore.Any, Note("settle"))
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		h, err := s.Head(ctx)
		if err != nil {
			t.Fatalf("head: %v", err)
		}
		if !h.Less(res.Position) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("appended events did not become visible within a minute (head %s, want %s)", h, res.Position)
		}
		<-tick.C
	}
}

// settle settles the store and folds the log.
func settle(ctx context.Context, t testing.TB, s eventstore.Store) (map[string]Row, eventstore.Position) {
	t.Helper()
	Settle(ctx, t, s)
	want, last, err := Fold(ctx, s, nil)
	if err != nil {
		t.Fatalf("fold: %v", err)
	}
	return want, last
}
