package schema

import (
	"sort"

	"github.com/hamba/avro/v2"
)

// Set is every contract in a contracts directory.
type Set struct {
	Dir    string
	Events []*Event // sorted by Name
}

// Event returns the event with the given Avro full name, or nil when absent.
func (s *Set) Event(name string) *Event {
	if s == nil {
		return nil
	}
	i := sort.Search(len(s.Events), func(i int) bool { return s.Events[i].Name >= name })
	if i < len(s.Events) && s.Events[i].Name == name {
		return s.Events[i]
	}
	return nil
}

// Event is one event type and every published version of its schema.
type Event struct {
	Name     string     // Avro full name, e.g. "orders.OrderCreated"; the store's event type
	Dir      string     // folder holding its versions
	Versions []*Version // ascending, numbered 1..N without gaps
}

// Latest returns the newest version, or nil when the event has none.
func (e *Event) Latest() *Version {
	if e == nil || len(e.Versions) == 0 {
		return nil
	}
	return e.Versions[len(e.Versions)-1]
}

// Version is one published version of an event's schema.
type Version struct {
	Event       string      // Event.Name
	Number      int         // 1-based
	File        string      // path of the .avsc file
	Raw         []byte      // file contents
	Schema      avro.Schema // parsed by github.com/hamba/avro/v2 (named types from _types resolved)
	Canonical   string      // Avro Parsing Canonical Form
	Fingerprint uint64      // CRC-64-AVRO (Rabin) of Canonical, as in single-object encoding
}
