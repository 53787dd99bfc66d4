package aggregate

import "errors"

// Sentinel errors. Repository methods wrap them with detail; match them with errors.Is.
var (
	// ErrNotFound means the aggregate's stream has no events (it was never created, or its
	// stream was deleted). Create it with [Repository.Create].
	ErrNotFound = errors.New("aggregate: not found")

	// ErrAlreadyExists means [Repository.Create] found the aggregate's stream already
	// holding events. Change an existing aggregate with [Repository.Update].
	ErrAlreadyExists = errors.New("aggregate: already exists")

	// ErrNoEvents means a [Repository.Create] decision recorded no event, so there was
	// nothing to create: an aggregate exists only once its stream has an event.
	ErrNoEvents = errors.New("aggregate: decision recorded no events")

	// ErrInvalidRepository means the repository was built from an incomplete [Type] or
	// conflicting options; every method returns it until the construction is fixed.
	ErrInvalidRepository = errors.New("aggregate: invalid repository")
)
