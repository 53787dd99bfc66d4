package ptest

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esgen/esgen/eventstore"
)

// CrashChildEnv is set in the environment of a crash-test child process.
const CrashChildEnv = "ESGEN_PROJECTION_CRASH_CHILD"

// IsCrashChild reports whether this process is a crash-test child.
func IsCrashChild() bool { return os.Getenv(CrashChildEnv) != "" }

// Crash configures [RunCrash].
type Crash struct {
	// Iterations is the number of child processes started and killed (>= 20).
	Iterations int
	// TestName is the test whose child role runs the projection.
	TestName string
	// Env is added to the child's environment (where its database is, say).
	Env []string
	// Append appends n deposits before each child starts (the parent's store may need to be
	// opened and closed around it, as for SQLite's single-process lock).
	Append func(ctx context.Context, n int)
}

// AppliedMarker is the line a child prints when its handler first runs.
const AppliedMarker = "applying"

// RunCrash starts a child process running the projection c.Iterations times, each after
// appending more events, and kills it with SIGKILL at a random point: at once, or a random
// delay after its handler started applying. The caller then finishes the projection and
// compares the read model with the fold of the log.
func RunCrash(t *testing.T, c Crash) (killedWhileApplying int) {
	t.Helper()
	ctx := t.Context()
	for i := range c.Iterations {
		c.Append(ctx, 40+rand.IntN(120))
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+c.TestName+"$", "-test.count=1", "-test.v=false")
		cmd.Env = append(append(os.Environ(), CrashChildEnv+"=1"), c.Env...)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start child: %v", err)
		}
		applying := make(chan struct{})
		var once sync.Once
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == AppliedMarker {
					once.Do(func() { close(applying) })
				}
			}
		}()
		if rand.IntN(5) > 0 { // mostly kill while applying; sometimes while starting up
			select {
			case <-applying:
				killedWhileApplying++
				time.Sleep(time.Duration(rand.IntN(60_000)) * time.Microsecond) // fault injection: a random point
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("iteration %d: the child never started applying", i)
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill child: %v", err)
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("iteration %d: child ended with %v before it was killed", i, err)
		}
	}
	return killedWhileApplying
}

// ChildHook returns a Ledger hook that prints AppliedMarker on the first call.
func ChildHook() func(context.Context, *eventstore.Event) error {
	var once sync.Once
	return func(context.Context, *eventstore.Event) error {
		once.Do(func() { fmt.Println(AppliedMarker) })
		return nil
	}
}

// ChildBatchSize is a random batch size for a child, so kills land at varied points of
// batches.
func ChildBatchSize() int { return 1 + rand.IntN(64) }

// Child is a running crash-test child process.
type Child struct {
	cmd      *exec.Cmd
	applying chan struct{}
}

// StartChild starts a child process running the projection (see [RunCrash]).
func StartChild(t *testing.T, c Crash) *Child {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+c.TestName+"$", "-test.count=1", "-test.v=false")
	cmd.Env = append(append(os.Environ(), CrashChildEnv+"=1"), c.Env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	ch := &Child{cmd: cmd, applying: make(chan struct{})}
	go func() {
		var once sync.Once
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == AppliedMarker {
				once.Do(func() { close(ch.applying) })
			}
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return ch
}

// Applying is closed when the child's handler first runs.
func (c *Child) Applying() <-chan struct{} { return c.applying }

// Kill kills the child with SIGKILL and waits for it.
func (c *Child) Kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	_ = c.cmd.Wait()
}
