package schema

import (
	"io/fs"
	"path"
	"path/filepath"
)

// LoadFS loads and validates the contracts directory dir of fsys, for
// example an embed.FS compiled into a service, exactly as LoadDir does on
// disk. File names in the result and in problems are slash-separated paths
// inside fsys.
func LoadFS(fsys fs.FS, dir string) (*Set, error) {
	return loadDir(ioFS{fsys}, path.Clean(dir))
}

type ioFS struct{ fsys fs.FS }

func (f ioFS) ReadDir(dir string) ([]dirEntry, error) {
	ents, err := fs.ReadDir(f.fsys, fsPath(dir))
	if err != nil {
		return nil, err
	}
	out := make([]dirEntry, 0, len(ents))
	for _, e := range ents {
		out = append(out, dirEntry{Name: e.Name(), IsDir: e.IsDir()})
	}
	return out, nil
}

func (f ioFS) ReadFile(name string) ([]byte, error) { return fs.ReadFile(f.fsys, fsPath(name)) }

// fsPath turns a path built by the loader with filepath.Join into an io/fs path.
func fsPath(p string) string { return path.Clean(filepath.ToSlash(p)) }
