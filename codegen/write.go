package codegen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ChangeKind says how a generated file on disk differs from what the generator writes.
type ChangeKind string

// The kinds of change Plan reports.
const (
	Missing ChangeKind = "missing" // the file should exist and does not
	Stale   ChangeKind = "stale"   // the file exists with other contents
	Extra   ChangeKind = "extra"   // an esgen-generated file the generator no longer writes
)

// Change is one file to create, rewrite or remove.
type Change struct {
	Kind ChangeKind
	Path string // the file's path
	File *File  // what to write; nil for Extra
}

// Plan compares files with the contents of dir and lists what differs, sorted by path.
// Files in dir that start with the esgen header and are not among files are Extra;
// other files are never touched.
func Plan(dir string, files []File) ([]Change, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("codegen: generate.output %s is a file; point it at a folder (it is created if missing)", dir)
	}
	var out []Change
	want := map[string]bool{}
	for i := range files {
		f := &files[i]
		want[f.Name] = true
		p := filepath.Join(dir, f.Name)
		cur, err := os.ReadFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, Change{Kind: Missing, Path: p, File: f})
		case err != nil:
			return nil, fmt.Errorf("codegen: read %s: %w", p, err)
		case !bytes.Equal(cur, f.Content):
			if !isGenerated(cur) {
				return nil, fmt.Errorf("codegen: %s exists and was not written by esgen (no %q header); move it away or choose another generate.output", p, HeaderPrefix+"...")
			}
			out = append(out, Change{Kind: Stale, Path: p, File: f})
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("codegen: read %s: %w", dir, err)
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || want[e.Name()] {
			continue
		}
		p := filepath.Join(dir, e.Name())
		gen, err := fileIsGenerated(p)
		if err != nil {
			return nil, err
		}
		if gen {
			out = append(out, Change{Kind: Extra, Path: p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Apply writes the changes of a Plan: it creates dir when needed, writes missing and stale
// files and removes extra ones.
func Apply(dir string, changes []Change) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("codegen: create %s: %w", dir, err)
	}
	for _, c := range changes {
		switch c.Kind {
		case Missing, Stale:
			if err := writeFile(c.Path, c.File.Content); err != nil {
				return err
			}
		case Extra:
			if err := os.Remove(c.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("codegen: remove %s: %w", c.Path, err)
			}
		}
	}
	return nil
}

// writeFile replaces path atomically so a reader never sees half a file.
func writeFile(path string, content []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".esgen-*.tmp")
	if err != nil {
		return fmt.Errorf("codegen: write %s: %w", path, err)
	}
	_, werr := tmp.Write(content)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("codegen: write %s: %w", path, werr)
	}
	return nil
}

func isGenerated(content []byte) bool {
	return bytes.HasPrefix(content, []byte(HeaderPrefix))
}

func fileIsGenerated(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("codegen: read %s: %w", path, err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	return strings.HasPrefix(line, HeaderPrefix), nil
}
