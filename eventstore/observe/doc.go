// Package observe adds logs, metrics and traces to any eventstore.Store.
//
// [Wrap] returns a Store that records an OpenTelemetry span for every append, stream read and
// delete, counts appended and read events, conflicts and failures, measures append latency,
// logs failures with log/slog, and propagates the W3C trace context of the caller onto every
// appended event whose metadata does not carry one yet, so a projection handling the event
// later can link its work to the request that caused it.
//
// Without options it uses the global OpenTelemetry providers (no-ops until an SDK is
// installed) and slog.Default().
package observe
