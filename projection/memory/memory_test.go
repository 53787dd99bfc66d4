package memory_test

import (
	"context"
	"sync"
	"testing"

	"github.com/esgen/esgen/eventstore"
	esmemory "github.com/esgen/esgen/eventstore/memory"
	"github.com/esgen/esgen/projection"
	"github.com/esgen/esgen/projection/internal/ptest"
	"github.com/esgen/esgen/projection/memory"
)

// model is an in-memory read model: upserts keyed on the stream version make redelivery
// harmless, as docs/guarantees.md asks of read models without a transaction.
type model struct {
	mu   sync.Mutex
	rows map[int]map[string]*row
}

type row struct {
	ptest.Row
	applied map[uint64]bool
}

func (m *model) Add(ctx context.Context, _ projection.NoTx, ev *eventstore.Event, amount int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := projection.VersionFrom(ctx)
	if m.rows[v] == nil {
		m.rows[v] = map[string]*row{}
	}
	r := m.rows[v][ev.StreamID]
	if r == nil {
		r = &row{applied: map[uint64]bool{}}
		m.rows[v][ev.StreamID] = r
	}
	if r.applied[ev.Version] {
		return nil // already applied
	}
	r.applied[ev.Version] = true
	r.Count++
	r.Sum += amount
	return nil
}

func (m *model) Rows(_ context.Context, v int) (map[string]ptest.Row, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]ptest.Row{}
	for k, r := range m.rows[v] {
		out[k] = r.Row
	}
	return out, nil
}

func (m *model) Prepare(_ context.Context, _ projection.NoTx, v int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[v] = map[string]*row{}
	return nil
}

func (m *model) Drop(_ context.Context, _ projection.NoTx, v int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rows, v)
	return nil
}

func (m *model) Clear(ctx context.Context, tx projection.NoTx, v int) error {
	return m.Prepare(ctx, tx, v)
}

func TestSuite(t *testing.T) {
	t.Parallel()
	ptest.Run(t, func(t *testing.T) ptest.Fixture[projection.NoTx] {
		return ptest.Fixture[projection.NoTx]{
			Store:  esmemory.New(),
			Target: memory.New(),
			Model:  &model{rows: map[int]map[string]*row{}},
		}
	})
}
