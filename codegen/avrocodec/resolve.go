package avrocodec

import (
	"encoding/json"
	"fmt"

	"github.com/hamba/avro/v2"
)

// resolve returns the schema that decodes payloads written with writer into values of
// reader's Go types, and a transcoder to run on such payloads first (nil when none is
// needed).
//
// hamba/avro resolves almost every evolution directly. The exception is a value whose
// writer type is not a union while the reader's is (a field that became optional, or
// became a sealed union): hamba then decodes the bare branch, which Go pointer and union
// holder fields cannot take. For those versions the payload is first rewritten into an
// adapted writer schema in which such values are one-branch unions (the bytes gain a union
// index 0), and the adapted schema is resolved instead. Everything else, defaults,
// promotions, enum symbols and removed fields, stays hamba's schema resolution.
func resolve(reader, writer avro.Schema, maxArray int) (avro.Schema, step, error) {
	a := &adapter{defined: map[string]bool{}, records: map[string]*recordStep{}, maxArray: maxArray}
	st, adapted := a.walk(writer, reader)
	if !a.wrapped {
		rs, err := avro.NewSchemaCompatibility().Resolve(reader, writer)
		return rs, nil, err
	}
	raw, err := json.Marshal(adapted)
	if err != nil {
		return nil, nil, fmt.Errorf("adapt writer schema: %w", err)
	}
	ws, err := avro.ParseBytesWithCache(raw, "", &avro.SchemaCache{})
	if err != nil {
		return nil, nil, fmt.Errorf("adapt writer schema: %w", err)
	}
	rs, err := avro.NewSchemaCompatibility().Resolve(reader, ws)
	if err != nil {
		return nil, nil, err
	}
	return rs, st, nil
}

// step copies one value of a writer schema from r to w, adapting it on the way.
type step func(r *avro.Reader, w *avro.Writer)

type adapter struct {
	wrapped  bool
	maxArray int                    // the most items an array may have
	defined  map[string]bool        // named writer types already written out in full
	records  map[string]*recordStep // by writer full name, so recursive types terminate
}

type recordStep struct{ fields []step }

func (s *recordStep) run(r *avro.Reader, w *avro.Writer) {
	for _, f := range s.fields {
		if r.Error != nil {
			return
		}
		f(r, w)
	}
}

func deref(s avro.Schema) avro.Schema {
	if ref, ok := s.(*avro.RefSchema); ok {
		return ref.Schema()
	}
	return s
}

// walk compiles the copy of a writer value whose reader counterpart is rs (nil when the
// reader ignores it) and returns the adapted writer schema as JSON.
func (a *adapter) walk(ws, rs avro.Schema) (step, any) {
	ws = deref(ws)
	if rs != nil {
		rs = deref(rs)
	}
	if ru, ok := rs.(*avro.UnionSchema); ok && ws.Type() != avro.Union {
		if idx, rb := matchBranch(ru, ws); rb != nil {
			// Adapt to a union of the reader's shape, so that hamba resolves union to union
			// (a nullable pair stays nullable); the writer's value takes the matching branch.
			inner, js := a.walk(ws, rb)
			branches := make([]any, len(ru.Types()))
			for i, b := range ru.Types() {
				if i == idx {
					branches[i] = js
					continue
				}
				branches[i] = a.readerJSON(b)
			}
			a.wrapped = true
			index := int32(idx)
			return func(r *avro.Reader, w *avro.Writer) {
				w.WriteInt(index)
				inner(r, w)
			}, branches
		}
	}
	switch t := ws.(type) {
	case *avro.NullSchema:
		return func(*avro.Reader, *avro.Writer) {}, "null"
	case *avro.PrimitiveSchema:
		return primitiveStep(t.Type()), primitiveJSON(t)
	case *avro.RecordSchema:
		name := t.FullName()
		if a.defined[name] {
			return a.records[name].run, name
		}
		a.defined[name] = true
		rec := &recordStep{}
		a.records[name] = rec
		rr, _ := rs.(*avro.RecordSchema)
		var fields []any
		for _, f := range t.Fields() {
			var rt avro.Schema
			if rf := readerField(rr, f); rf != nil {
				rt = rf.Type()
			}
			st, js := a.walk(f.Type(), rt)
			rec.fields = append(rec.fields, st)
			fields = append(fields, map[string]any{"name": f.Name(), "type": js})
		}
		return rec.run, map[string]any{"type": "record", "name": name, "fields": fields}
	case *avro.EnumSchema:
		st := func(r *avro.Reader, w *avro.Writer) { w.WriteInt(r.ReadInt()) }
		if a.defined[t.FullName()] {
			return st, t.FullName()
		}
		a.defined[t.FullName()] = true
		return st, map[string]any{"type": "enum", "name": t.FullName(), "symbols": t.Symbols()}
	case *avro.FixedSchema:
		size := t.Size()
		st := func(r *avro.Reader, w *avro.Writer) {
			buf := make([]byte, size)
			r.Read(buf)
			_, _ = w.Write(buf)
		}
		if a.defined[t.FullName()] {
			return st, t.FullName()
		}
		a.defined[t.FullName()] = true
		js := map[string]any{"type": "fixed", "name": t.FullName(), "size": size}
		addLogical(js, t.Logical())
		return st, js
	case *avro.ArraySchema:
		var ri avro.Schema
		if ra, ok := rs.(*avro.ArraySchema); ok {
			ri = ra.Items()
		}
		item, js := a.walk(t.Items(), ri)
		return blocks(a.maxArray, func(r *avro.Reader, w *avro.Writer) { item(r, w) }), map[string]any{"type": "array", "items": js}
	case *avro.MapSchema:
		var rv avro.Schema
		if rm, ok := rs.(*avro.MapSchema); ok {
			rv = rm.Values()
		}
		val, js := a.walk(t.Values(), rv)
		return blocks(a.maxArray, func(r *avro.Reader, w *avro.Writer) {
			w.WriteString(r.ReadString())
			val(r, w)
		}), map[string]any{"type": "map", "values": js}
	case *avro.UnionSchema:
		var steps []step
		var js []any
		for _, b := range t.Types() {
			rb := rs
			if ru, ok := rs.(*avro.UnionSchema); ok {
				_, rb = matchBranch(ru, b)
			}
			st, j := a.walk(b, rb)
			steps = append(steps, st)
			js = append(js, j)
		}
		return func(r *avro.Reader, w *avro.Writer) {
			i := r.ReadInt()
			if r.Error != nil {
				return
			}
			if i < 0 || int(i) >= len(steps) {
				r.ReportError("decode union", fmt.Sprintf("branch index %d out of range", i))
				return
			}
			w.WriteInt(i)
			steps[i](r, w)
		}, js
	}
	return func(r *avro.Reader, _ *avro.Writer) {
		r.ReportError("adapt", "unsupported schema type "+string(ws.Type()))
	}, string(ws.Type())
}

// blocks copies an array or map: blocks of items ending with an empty block. At most max
// items are copied, so that a corrupt count cannot spin on items that take no bytes.
func blocks(max int, item step) step {
	return func(r *avro.Reader, w *avro.Writer) {
		total := int64(0)
		for {
			n, _ := r.ReadBlockHeader()
			if r.Error != nil {
				return
			}
			if n == 0 {
				w.WriteLong(0)
				return
			}
			if total += n; n < 0 || total > int64(max) {
				r.ReportError("decode array", fmt.Sprintf("more than %d items", max))
				return
			}
			w.WriteLong(n)
			for range n {
				item(r, w)
				if r.Error != nil {
					return
				}
			}
		}
	}
}

func primitiveStep(t avro.Type) step {
	switch t {
	case avro.Boolean:
		return func(r *avro.Reader, w *avro.Writer) { w.WriteBool(r.ReadBool()) }
	case avro.Int:
		return func(r *avro.Reader, w *avro.Writer) { w.WriteInt(r.ReadInt()) }
	case avro.Long:
		return func(r *avro.Reader, w *avro.Writer) { w.WriteLong(r.ReadLong()) }
	case avro.Float:
		return func(r *avro.Reader, w *avro.Writer) { w.WriteFloat(r.ReadFloat()) }
	case avro.Double:
		return func(r *avro.Reader, w *avro.Writer) { w.WriteDouble(r.ReadDouble()) }
	case avro.Bytes:
		return func(r *avro.Reader, w *avro.Writer) { w.WriteBytes(r.ReadBytes()) }
	case avro.String:
		return func(r *avro.Reader, w *avro.Writer) { w.WriteString(r.ReadString()) }
	}
	return func(*avro.Reader, *avro.Writer) {} // null
}

func primitiveJSON(t *avro.PrimitiveSchema) any {
	if t.Logical() == nil {
		return string(t.Type())
	}
	js := map[string]any{"type": string(t.Type())}
	addLogical(js, t.Logical())
	return js
}

func addLogical(js map[string]any, l avro.LogicalSchema) {
	if l == nil {
		return
	}
	js["logicalType"] = string(l.Type())
	if d, ok := l.(*avro.DecimalLogicalSchema); ok {
		js["precision"] = d.Precision()
		js["scale"] = d.Scale()
	}
}

// readerField finds the reader field a writer field resolves to: same name, or a reader
// alias naming it.
func readerField(rr *avro.RecordSchema, wf *avro.Field) *avro.Field {
	if rr == nil {
		return nil
	}
	for _, f := range rr.Fields() {
		if f.Name() == wf.Name() {
			return f
		}
	}
	for _, f := range rr.Fields() {
		for _, al := range f.Aliases() {
			if al == wf.Name() {
				return f
			}
		}
	}
	return nil
}

// matchBranch returns the reader union branch a writer value resolves to, as Avro's
// resolution picks it: the first branch of the same type (and name), else the first it
// promotes to.
func matchBranch(ru *avro.UnionSchema, ws avro.Schema) (int, avro.Schema) {
	ws = deref(ws)
	for i, b := range ru.Types() {
		b = deref(b)
		if b.Type() != ws.Type() {
			continue
		}
		bn, bok := b.(avro.NamedSchema)
		wn, wok := ws.(avro.NamedSchema)
		if !bok || !wok || bn.FullName() == wn.FullName() || hasAlias(bn, wn.FullName()) {
			return i, b
		}
	}
	for i, b := range ru.Types() {
		if promotes(ws.Type(), deref(b).Type()) {
			return i, deref(b)
		}
	}
	return -1, nil
}

// readerJSON writes a reader union branch no writer value takes into the adapted schema.
func (a *adapter) readerJSON(s avro.Schema) any {
	s = deref(s)
	if n, ok := s.(avro.NamedSchema); ok && a.defined[n.FullName()] {
		return n.FullName()
	}
	switch p := s.(type) {
	case *avro.NullSchema:
		return "null"
	case *avro.PrimitiveSchema:
		return primitiveJSON(p)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return string(s.Type())
	}
	return json.RawMessage(raw)
}

func hasAlias(n avro.NamedSchema, name string) bool {
	for _, a := range n.Aliases() {
		if a == name {
			return true
		}
	}
	return false
}

func promotes(w, r avro.Type) bool {
	switch w {
	case avro.Int:
		return r == avro.Long || r == avro.Float || r == avro.Double
	case avro.Long:
		return r == avro.Float || r == avro.Double
	case avro.Float:
		return r == avro.Double
	case avro.String:
		return r == avro.Bytes
	case avro.Bytes:
		return r == avro.String
	}
	return false
}
