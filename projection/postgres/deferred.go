package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/esgen/esgen/projection"
)

// deferredTx is the pgx.Tx handed to handlers under [WithDeferredWrites]: Exec queues the
// statement and returns a zero command tag at once; the queue is sent in one round trip
// (a pgx batch) before any other statement of the transaction, and together with the
// checkpoint update at the end of the unit.
type deferredTx struct {
	pgx.Tx
	batch pgx.Batch
}

// Exec queues the statement. Its command tag is zero: a handler that needs RowsAffected
// must use Query, or run without WithDeferredWrites.
func (d *deferredTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	d.batch.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

// flush sends the queued statements, with extra queued last; it returns extra's tag.
func (d *deferredTx) flush(ctx context.Context, extra string, args ...any) (pgconn.CommandTag, error) {
	queued := d.batch.Len()
	if extra != "" {
		d.batch.Queue(extra, args...)
	}
	if d.batch.Len() == 0 {
		return pgconn.CommandTag{}, nil
	}
	b := d.batch
	d.batch = pgx.Batch{}
	br := d.Tx.SendBatch(ctx, &b)
	var tag pgconn.CommandTag
	for i := range b.Len() {
		t, err := br.Exec()
		if err != nil {
			_ = br.Close()
			if i < queued {
				return tag, fmt.Errorf("postgres: deferred handler write %d of %d failed: %w: %w", i+1, queued, projection.ErrDeferredWrite, err)
			}
			return tag, err
		}
		tag = t
	}
	return tag, br.Close()
}

func (d *deferredTx) pending(ctx context.Context) error {
	_, err := d.flush(ctx, "")
	return err
}

// Query flushes the queue first, so reads see earlier writes.
func (d *deferredTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := d.pending(ctx); err != nil {
		return nil, err
	}
	return d.Tx.Query(ctx, sql, args...)
}

// QueryRow flushes the queue first.
func (d *deferredTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := d.pending(ctx); err != nil {
		return errRow{err}
	}
	return d.Tx.QueryRow(ctx, sql, args...)
}

// SendBatch flushes the queue first.
func (d *deferredTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := d.pending(ctx); err != nil {
		return errBatch{err}
	}
	return d.Tx.SendBatch(ctx, b)
}

// CopyFrom flushes the queue first.
func (d *deferredTx) CopyFrom(ctx context.Context, t pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := d.pending(ctx); err != nil {
		return 0, err
	}
	return d.Tx.CopyFrom(ctx, t, cols, src)
}

// Begin flushes the queue first (a savepoint must follow the writes before it).
func (d *deferredTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := d.pending(ctx); err != nil {
		return nil, err
	}
	return d.Tx.Begin(ctx)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow(b) }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }
