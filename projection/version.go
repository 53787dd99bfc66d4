package projection

import (
	"context"
	"strconv"
)

type versionKey struct{}

// WithVersion returns a context telling handlers which read-model version they write. The
// runner sets it on every call to [Handler.Handle]; tests of handlers may set it themselves.
func WithVersion(ctx context.Context, version int) context.Context {
	return context.WithValue(ctx, versionKey{}, version)
}

// VersionFrom returns the read-model version a handler is writing: 1 unless a rebuild created
// a later one. Handlers whose read models are rebuilt beside the live one name their tables
// with [Table].
func VersionFrom(ctx context.Context) int {
	if v, ok := ctx.Value(versionKey{}).(int); ok && v > 0 {
		return v
	}
	return 1
}

// VersionedName returns the name of version v of a read-model object called base: base
// itself for version 1, base + "_v" + v for later versions ("order_status_v2").
func VersionedName(base string, v int) string {
	if v <= 1 {
		return base
	}
	return base + "_v" + strconv.Itoa(v)
}

// Table returns [VersionedName] of base for the version in ctx: the table a handler writes.
func Table(ctx context.Context, base string) string {
	return VersionedName(base, VersionFrom(ctx))
}
