package schema

import "fmt"

// ViolationKind says how a published version was changed.
type ViolationKind string

// The ways a published version can be changed.
const (
	// VersionEdited: the version's canonical form changed.
	VersionEdited ViolationKind = "edited"
	// VersionRemoved: the version (or its whole event) disappeared.
	VersionRemoved ViolationKind = "removed"
)

// Violation is a published version that was edited or removed.
type Violation struct {
	Event   string        `json:"event"`
	Version int           `json:"version"`
	File    string        `json:"file"` // the file that changed or vanished
	Kind    ViolationKind `json:"kind"`
	Message string        `json:"message"`
}

// String formats the violation as "file: message".
func (v Violation) String() string { return v.File + ": " + v.Message }

// CheckImmutable compares the current contracts with the published ones
// (from a git ref or a registry) and reports every published version whose
// canonical form or logical types changed, or that disappeared. Formatting,
// "doc", defaults and other changes that keep both are allowed. New events and new
// versions are not violations.
func CheckImmutable(published, current *Set, source string) []Violation {
	var out []Violation
	for _, pe := range published.Events {
		ce := current.Event(pe.Name)
		for _, pv := range pe.Versions {
			var cv *Version
			if ce != nil && pv.Number <= len(ce.Versions) {
				cv = ce.Versions[pv.Number-1]
			}
			switch {
			case cv == nil:
				out = append(out, Violation{Event: pe.Name, Version: pv.Number, File: pv.File, Kind: VersionRemoved,
					Message: fmt.Sprintf("%s v%d is published in %s but was removed; published versions are kept for ever so stored events stay decodable: restore the file", pe.Name, pv.Number, source)})
			case cv.Canonical != pv.Canonical:
				out = append(out, Violation{Event: pe.Name, Version: pv.Number, File: cv.File, Kind: VersionEdited,
					Message: fmt.Sprintf("%s v%d differs from the version published in %s (canonical form changed, fingerprint %016x -> %016x); published versions never change: restore it and add v%d instead", pe.Name, pv.Number, source, pv.Fingerprint, cv.Fingerprint, nextNumber(ce))})
			case layout(cv.Schema) != layout(pv.Schema):
				out = append(out, Violation{Event: pe.Name, Version: pv.Number, File: cv.File, Kind: VersionEdited,
					Message: fmt.Sprintf("%s v%d changes a logical type of the version published in %s; that changes the generated Go types of stored events: restore it and add v%d instead", pe.Name, pv.Number, source, nextNumber(ce))})
			}
		}
	}
	return out
}

func nextNumber(e *Event) int {
	if e == nil {
		return 1
	}
	return len(e.Versions) + 1
}
