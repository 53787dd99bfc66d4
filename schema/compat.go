package schema

import (
	"fmt"
	"strings"

	"github.com/hamba/avro/v2"
)

// Direction says which side reads and which side writes in a check.
type Direction string

// The two directions a level may require.
const (
	// Backward: the newer schema reads data written with the older one.
	Backward Direction = "backward"
	// Forward: the older schema reads data written with the newer one.
	Forward Direction = "forward"
)

// Finding is one incompatibility between two versions under a level.
type Finding struct {
	Event     string    `json:"event,omitempty"` // event full name; empty for ad hoc checks
	Older     int       `json:"older"`           // version number of the earlier schema
	Newer     int       `json:"newer"`           // version number of the later schema
	Direction Direction `json:"direction"`       // backward: Newer reads Older's data; forward: Older reads Newer's data
	Incompatibility
}

// String formats the finding for people, naming the version pair.
func (f Finding) String() string {
	var b strings.Builder
	if f.Event != "" {
		b.WriteString(f.Event)
		b.WriteString(" ")
	}
	if f.Direction == Backward {
		fmt.Fprintf(&b, "v%d cannot read data written with v%d", f.Newer, f.Older)
	} else {
		fmt.Fprintf(&b, "v%d cannot read data written with v%d", f.Older, f.Newer)
	}
	fmt.Fprintf(&b, " (%s): %s: %s [%s]", f.Direction, f.Path, f.Message, f.Rule)
	return b.String()
}

// CheckLevel checks next against history (oldest first) as level requires
// and returns every finding. History versions are numbered 1..len(history),
// next is len(history)+1. Non-transitive levels compare with the latest
// earlier version only; transitive ones with every earlier version. NONE and
// an empty history never find anything.
func CheckLevel(level Level, history []avro.Schema, next avro.Schema) []Finding {
	if level == LevelNone || len(history) == 0 {
		return nil
	}
	newer := len(history) + 1
	first := len(history) - 1
	if level.Transitive() {
		first = 0
	}
	var out []Finding
	for i := len(history) - 1; i >= first; i-- {
		older := history[i]
		if level.Backward() {
			for _, inc := range CanRead(next, older) {
				out = append(out, Finding{Older: i + 1, Newer: newer, Direction: Backward, Incompatibility: inc})
			}
		}
		if level.Forward() {
			for _, inc := range CanRead(older, next) {
				out = append(out, Finding{Older: i + 1, Newer: newer, Direction: Forward, Incompatibility: inc})
			}
		}
	}
	return out
}

// CheckEvent checks every version of ev against its predecessors at level,
// as if each had been registered in turn, and returns every finding.
func CheckEvent(ev *Event, level Level) []Finding {
	var out []Finding
	schemas := make([]avro.Schema, 0, len(ev.Versions))
	for _, v := range ev.Versions {
		for _, f := range CheckLevel(level, schemas, v.Schema) {
			f.Event = ev.Name
			f.Newer = v.Number
			f.Older = ev.Versions[f.Older-1].Number
			out = append(out, f)
		}
		schemas = append(schemas, v.Schema)
	}
	return out
}

// CheckSet checks every event of set at the level cfg assigns it (the
// default level when cfg is nil).
func CheckSet(set *Set, cfg *Config) []Finding {
	var out []Finding
	for _, ev := range set.Events {
		out = append(out, CheckEvent(ev, cfg.LevelFor(ev.Name))...)
	}
	return out
}
