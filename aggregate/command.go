package aggregate

import (
	"context"
	"maps"
	"strconv"

	"github.com/google/uuid"
)

type commandKey struct{}
type correlationKey struct{}
type causationKey struct{}
type headersKey struct{}

// WithCommandID returns a context that makes the events saved under it idempotent: their
// IDs are derived from commandID, the stream ID and the event's index within the command
// (see [CommandEventID]) instead of being random. Retrying a command with the same ID, after
// a timeout say, therefore never records its effects twice; see [Repository.Update] for what
// the retry returns. The command ID also becomes the events' causation ID, and their
// correlation ID unless [WithCorrelationID] gives one.
//
// Use an ID that names the request, not the attempt: a client-supplied idempotency key, a
// message ID from a queue, or the ID of the event a process manager is reacting to.
func WithCommandID(ctx context.Context, commandID string) context.Context {
	return context.WithValue(ctx, commandKey{}, commandID)
}

// CommandID returns the command ID set by [WithCommandID], or "".
func CommandID(ctx context.Context) string {
	s, _ := ctx.Value(commandKey{}).(string)
	return s
}

// WithCorrelationID returns a context whose saved events carry id as their correlation ID:
// the ID shared by everything caused by one original request.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// WithCausationID returns a context whose saved events carry id as their causation ID (the
// command or event that caused them), overriding the command ID set by [WithCommandID].
func WithCausationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, causationKey{}, id)
}

// WithHeaders returns a context whose saved events carry h as user headers (merged over
// headers set by an enclosing WithHeaders). h is copied.
func WithHeaders(ctx context.Context, h map[string]string) context.Context {
	merged := maps.Clone(headersFrom(ctx))
	if merged == nil {
		merged = make(map[string]string, len(h))
	}
	maps.Copy(merged, h)
	return context.WithValue(ctx, headersKey{}, merged)
}

func headersFrom(ctx context.Context) map[string]string {
	h, _ := ctx.Value(headersKey{}).(map[string]string)
	return h
}

// commandNamespace is the UUIDv5 namespace of command event IDs:
// uuid.NewSHA1(uuid.NameSpaceURL, "https://github.com/esgen/esgen/aggregate#command").
const commandNamespace = "c39facaa-b461-5948-a9df-0ce894da9479"

// CommandEventID returns the ID of the index-th event (from 0) saved for a command on a
// stream: a name-based UUID (version 5, SHA-1) of the command ID, the stream ID and the index.
// The same command on the same stream always yields the same IDs, so the store recognises a
// retry; different streams or commands never share IDs.
func CommandEventID(commandID, streamID string, index int) uuid.UUID {
	ns := uuid.MustParse(commandNamespace)
	name := make([]byte, 0, len(commandID)+len(streamID)+24)
	name = strconv.AppendInt(name, int64(len(commandID)), 10)
	name = append(name, ':')
	name = append(name, commandID...)
	name = strconv.AppendInt(name, int64(len(streamID)), 10)
	name = append(name, ':')
	name = append(name, streamID...)
	name = strconv.AppendInt(name, int64(index), 10)
	return uuid.NewSHA1(ns, name)
}
