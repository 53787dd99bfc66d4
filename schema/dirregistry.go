package schema

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hamba/avro/v2"
)

// DirRegistry is a Registry kept in a contracts directory: each event is a
// subject named by the event's full name, each vN.avsc file a version. It is
// the default registry: generated code embeds it, and it needs no server.
type DirRegistry struct {
	Dir string
}

// NewDirRegistry returns the registry kept in the contracts directory dir.
func NewDirRegistry(dir string) *DirRegistry { return &DirRegistry{Dir: dir} }

func (d *DirRegistry) load() (*Set, error) {
	if _, err := os.Stat(d.Dir); os.IsNotExist(err) {
		return &Set{Dir: d.Dir}, nil
	}
	return LoadDir(d.Dir)
}

// Subjects lists the events' full names, sorted.
func (d *DirRegistry) Subjects(ctx context.Context) ([]string, error) {
	set, err := d.load()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(set.Events))
	for _, e := range set.Events {
		out = append(out, e.Name)
	}
	return out, nil
}

// Schemas returns the versions of the event named subject.
func (d *DirRegistry) Schemas(ctx context.Context, subject string) ([]RegisteredSchema, error) {
	set, err := d.load()
	if err != nil {
		return nil, err
	}
	ev := set.Event(subject)
	if ev == nil {
		return nil, &RegistryError{Op: "read subject", Subject: subject, Message: "no such event in " + d.Dir, kind: ErrNotFound}
	}
	out := make([]RegisteredSchema, 0, len(ev.Versions))
	for _, v := range ev.Versions {
		text, err := RegistrationText(v)
		if err != nil {
			return nil, err
		}
		out = append(out, RegisteredSchema{Subject: subject, Version: v.Number, Schema: text})
	}
	return out, nil
}

// Register writes schema as the event's next version file, unless an
// existing version has the same canonical form, which is returned instead.
func (d *DirRegistry) Register(ctx context.Context, subject, schema string) (RegisteredSchema, error) {
	s, err := avro.ParseWithCache(schema, "", &avro.SchemaCache{})
	if err != nil {
		return RegisteredSchema{}, &RegistryError{Op: "register", Subject: subject, Message: err.Error(), kind: ErrRejected}
	}
	rec, ok := s.(*avro.RecordSchema)
	if !ok || rec.FullName() != subject {
		return RegisteredSchema{}, &RegistryError{Op: "register", Subject: subject, Message: fmt.Sprintf("the directory registry holds records named after their subject, found %s", typeName(s)), kind: ErrRejected}
	}
	set, err := d.load()
	if err != nil {
		return RegisteredSchema{}, err
	}
	dir, n := filepath.Join(d.Dir, rec.Name()), 1
	if ev := set.Event(subject); ev != nil {
		for _, v := range ev.Versions {
			if layout(v.Schema) == layout(s) {
				return RegisteredSchema{Subject: subject, Version: v.Number, Schema: string(v.Raw)}, nil
			}
		}
		dir, n = ev.Dir, len(ev.Versions)+1
	}
	if err := writeFileAtomic(filepath.Join(dir, fmt.Sprintf("v%d.avsc", n)), []byte(schema+"\n")); err != nil {
		return RegisteredSchema{}, err
	}
	return RegisteredSchema{Subject: subject, Version: n, Schema: schema}, nil
}

// CheckCompatibility gives no verdict: the directory has no opinion beyond
// the local checks esgen already makes.
func (d *DirRegistry) CheckCompatibility(ctx context.Context, subject, schema string) (RegistryVerdict, error) {
	return RegistryVerdict{}, nil
}

var (
	_ Registry    = (*DirRegistry)(nil)
	_ Registry    = (*ConfluentRegistry)(nil)
	_ LevelSetter = (*ConfluentRegistry)(nil)
)
