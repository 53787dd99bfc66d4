package schema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// LoadGitRef loads the contracts directory dir as it is at the git revision
// ref (a branch, tag or commit, e.g. "origin/main"), reading with `git
// ls-tree` and `git show` so the work tree is left alone. File names in the
// result and in problems are the local paths under dir. A directory absent
// at ref gives an empty Set.
func LoadGitRef(ctx context.Context, dir, ref string) (*Set, error) {
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("invalid git ref %q: refs cannot start with '-'", ref)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// Run git in the nearest existing folder: the directory itself may be gone.
	at := abs
	for {
		if st, err := os.Stat(at); err == nil && st.IsDir() {
			break
		}
		parent := filepath.Dir(at)
		if parent == at {
			return nil, fmt.Errorf("no existing folder above %s", abs)
		}
		at = parent
	}
	top, err := git(ctx, at, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not inside a git repository: %w", abs, err)
	}
	topDir, err := filepath.EvalSymlinks(strings.TrimSpace(string(top)))
	if err != nil {
		return nil, err
	}
	real, err := evalExisting(abs)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(topDir, real)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("%s is outside the git repository %s", abs, topDir)
	}
	rel = filepath.ToSlash(rel)
	if _, err := git(ctx, topDir, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return nil, fmt.Errorf("unknown git ref %q: fetch it first (e.g. git fetch origin main) or name an existing branch, tag or commit", ref)
	}
	list, err := git(ctx, topDir, "ls-tree", "-r", "--name-only", "-z", ref, "--", rel)
	if err != nil {
		return nil, fmt.Errorf("listing %s at %s: %w", rel, ref, err)
	}
	g := &gitFS{ctx: ctx, top: topDir, ref: ref, local: dir, rel: rel, files: map[string]bool{}}
	for _, name := range strings.Split(string(list), "\x00") {
		if name == "" {
			continue
		}
		sub := strings.TrimPrefix(strings.TrimPrefix(name, rel), "/")
		if rel == "." {
			sub = name
		}
		g.files[sub] = true
	}
	if len(g.files) == 0 {
		return &Set{Dir: dir}, nil
	}
	set, err := loadDir(g, dir)
	if err != nil {
		return nil, fmt.Errorf("contracts at %s: %w", ref, err)
	}
	return set, nil
}

// evalExisting resolves symlinks in the existing prefix of p.
func evalExisting(p string) (string, error) {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r, nil
	}
	parent := filepath.Dir(p)
	if parent == p {
		return p, nil
	}
	r, err := evalExisting(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(r, filepath.Base(p)), nil
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && stderr.Len() > 0 {
			return nil, fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(stderr.String()))
		}
		return nil, fmt.Errorf("git %s: %w", args[0], err)
	}
	return out, nil
}

// gitFS serves the files of one directory at one git ref.
type gitFS struct {
	ctx   context.Context
	top   string
	ref   string
	local string          // the local path the directory is known by
	rel   string          // its path inside the repository (slash-separated)
	files map[string]bool // slash paths relative to the directory
}

func (g *gitFS) sub(name string) (string, bool) {
	r, err := filepath.Rel(g.local, name)
	if err != nil || strings.HasPrefix(r, "..") {
		return "", false
	}
	return filepath.ToSlash(r), true
}

func (g *gitFS) ReadDir(dir string) ([]dirEntry, error) {
	sub, ok := g.sub(dir)
	if !ok {
		return nil, os.ErrNotExist
	}
	seen := map[string]bool{}
	var out []dirEntry
	for f := range g.files {
		rest := f
		if sub != "." {
			if !strings.HasPrefix(f, sub+"/") {
				continue
			}
			rest = f[len(sub)+1:]
		}
		name, _, isDir := strings.Cut(rest, "/")
		if !seen[name] {
			seen[name] = true
			out = append(out, dirEntry{Name: name, IsDir: isDir})
		}
	}
	if len(out) == 0 {
		return nil, os.ErrNotExist
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (g *gitFS) ReadFile(name string) ([]byte, error) {
	sub, ok := g.sub(name)
	if !ok || !g.files[sub] {
		return nil, os.ErrNotExist
	}
	return git(g.ctx, g.top, "show", g.ref+":"+path.Join(g.rel, sub))
}
