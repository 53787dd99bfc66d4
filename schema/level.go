package schema

import (
	"fmt"
	"strings"
)

// Level is a compatibility level as the Confluent schema registry defines it.
//
// BACKWARD means a reader using the new schema can read data written with the
// previous schema; FORWARD means a reader using the previous schema can read
// data written with the new one; FULL means both. The _TRANSITIVE variants
// check against every earlier version instead of only the latest earlier one.
// NONE disables checking.
type Level string

// The compatibility levels.
const (
	LevelBackward           Level = "BACKWARD"
	LevelBackwardTransitive Level = "BACKWARD_TRANSITIVE"
	LevelForward            Level = "FORWARD"
	LevelForwardTransitive  Level = "FORWARD_TRANSITIVE"
	LevelFull               Level = "FULL"
	LevelFullTransitive     Level = "FULL_TRANSITIVE"
	LevelNone               Level = "NONE"
)

// DefaultLevel is the level used for events when esgen.yaml sets none.
const DefaultLevel = LevelBackwardTransitive

// Levels lists every level, in the order documentation shows them.
func Levels() []Level {
	return []Level{LevelBackward, LevelBackwardTransitive, LevelForward, LevelForwardTransitive,
		LevelFull, LevelFullTransitive, LevelNone}
}

// ParseLevel turns a level name (case-insensitive, '-' accepted for '_') into a Level.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(s)), "-", "_"))
	if l.Valid() {
		return l, nil
	}
	return "", fmt.Errorf("unknown compatibility level %q: want one of %s", s, levelList())
}

func levelList() string {
	var names []string
	for _, l := range Levels() {
		names = append(names, string(l))
	}
	return strings.Join(names, ", ")
}

// Valid reports whether l is one of the seven levels.
func (l Level) Valid() bool {
	switch l {
	case LevelBackward, LevelBackwardTransitive, LevelForward, LevelForwardTransitive,
		LevelFull, LevelFullTransitive, LevelNone:
		return true
	}
	return false
}

// Transitive reports whether l checks a new version against every earlier
// version rather than only the latest earlier one.
func (l Level) Transitive() bool {
	return l == LevelBackwardTransitive || l == LevelForwardTransitive || l == LevelFullTransitive
}

// Backward reports whether l requires that the new schema can read data
// written with earlier ones.
func (l Level) Backward() bool {
	return l == LevelBackward || l == LevelBackwardTransitive || l == LevelFull || l == LevelFullTransitive
}

// Forward reports whether l requires that earlier schemas can read data
// written with the new one.
func (l Level) Forward() bool {
	return l == LevelForward || l == LevelForwardTransitive || l == LevelFull || l == LevelFullTransitive
}

// String returns the level's name.
func (l Level) String() string { return string(l) }
