package eventstore

import (
	"fmt"
	"strconv"
	"strings"
)

// Position is a place in a store's global log, and so a checkpoint. Positions are compared
// lexicographically: first Tx, then Pos. The zero Position is the start of the log: reading
// after it returns every event.
//
// What the two parts mean depends on the backend, which is why a checkpoint must be used only
// with the store that produced it:
//   - postgres: Tx is the writing transaction's ID (xid8) and Pos the event's sequence number;
//     the log is read in (Tx, Pos) order up to the oldest running transaction, so a
//     transaction that commits late can never land behind a reader's checkpoint.
//   - esdb: Tx is the commit position and Pos the prepare position of the event in $all.
//   - memory and sqlite: Tx is 0 and Pos is the gap-free commit sequence number.
type Position struct {
	Tx  uint64
	Pos uint64
}

// Start is the position before the first event.
var Start = Position{}

// IsZero reports whether p is the start of the log.
func (p Position) IsZero() bool { return p == Position{} }

// Compare returns -1, 0 or +1 as p is before, equal to or after q.
func (p Position) Compare(q Position) int {
	switch {
	case p.Tx < q.Tx:
		return -1
	case p.Tx > q.Tx:
		return 1
	case p.Pos < q.Pos:
		return -1
	case p.Pos > q.Pos:
		return 1
	}
	return 0
}

// Less reports whether p is before q.
func (p Position) Less(q Position) bool { return p.Compare(q) < 0 }

// String renders p as "tx/pos", the form [ParsePosition] reads.
func (p Position) String() string {
	return strconv.FormatUint(p.Tx, 10) + "/" + strconv.FormatUint(p.Pos, 10)
}

// ParsePosition parses the "tx/pos" form written by [Position.String].
func ParsePosition(s string) (Position, error) {
	tx, pos, ok := strings.Cut(s, "/")
	if !ok {
		return Position{}, fmt.Errorf("eventstore: position %q: want the form tx/pos, e.g. 0/42", s)
	}
	t, err := strconv.ParseUint(tx, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("eventstore: position %q: tx part: %w", s, err)
	}
	p, err := strconv.ParseUint(pos, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("eventstore: position %q: pos part: %w", s, err)
	}
	return Position{Tx: t, Pos: p}, nil
}

// MarshalText implements encoding.TextMarshaler.
func (p Position) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Position) UnmarshalText(b []byte) error {
	q, err := ParsePosition(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}
