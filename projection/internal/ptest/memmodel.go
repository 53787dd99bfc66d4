package ptest

import (
	"context"
	"sync"

	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/projection"
)

// MemoryModel is an in-memory read model of the ledger for handlers without a transaction:
// upserts keyed on the stream version make redelivery harmless, as docs/guarantees.md asks.
type MemoryModel struct {
	mu   sync.Mutex
	rows map[int]map[string]*memRow
}

type memRow struct {
	Row
	applied map[uint64]bool
}

// NewMemoryModel returns an empty model.
func NewMemoryModel() *MemoryModel { return &MemoryModel{rows: map[int]map[string]*memRow{}} }

// Add implements Model.
func (m *MemoryModel) Add(ctx context.Context, _ projection.NoTx, ev *eventstore.Event, amount int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := projection.VersionFrom(ctx)
	if m.rows[v] == nil {
		m.rows[v] = map[string]*memRow{}
	}
	r := m.rows[v][ev.StreamID]
	if r == nil {
		r = &memRow{applied: map[uint64]bool{}}
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

// Rows implements Model.
func (m *MemoryModel) Rows(_ context.Context, v int) (map[string]Row, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]Row{}
	for k, r := range m.rows[v] {
		out[k] = r.Row
	}
	return out, nil
}

// Prepare implements Model.
func (m *MemoryModel) Prepare(_ context.Context, _ projection.NoTx, v int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[v] = map[string]*memRow{}
	return nil
}

// Drop implements Model.
func (m *MemoryModel) Drop(_ context.Context, _ projection.NoTx, v int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rows, v)
	return nil
}

// Clear implements Model.
func (m *MemoryModel) Clear(ctx context.Context, tx projection.NoTx, v int) error {
	return m.Prepare(ctx, tx, v)
}
