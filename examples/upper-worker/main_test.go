package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

func TestMain(m *testing.M) { drovertest.Main(m) }

// build builds upper-worker for one test.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "upper-worker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build upper-worker: %v\n%s", err, out)
	}
	return bin
}

// proc is one running upper-worker.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    strings.Builder // stdout and stderr, interleaved
	exited chan struct{}
}

func (c *proc) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// start runs upper-worker with env added; it is killed at cleanup.
func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	c := &proc{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), env...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c.cmd.Stdout, c.cmd.Stderr = w, w
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			c.mu.Lock()
			c.out.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
		}
		_ = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.exited
		if t.Failed() {
			t.Logf("upper-worker %v:\n%s", args, c.output())
		}
	})
	return c
}

// stop sends SIGTERM and checks the copy exits 0 soon.
func (c *proc) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("upper-worker still running 10s after SIGTERM")
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("upper-worker exit %d after SIGTERM", code)
	}
}

// TestCopiesUnderRootWithAuth: two copies run side by side under
// DROVER_ROOT with DROVER_ZK_AUTH, each with its own id; a third given a
// taken id says it waits; SIGTERM stops each.
func TestCopiesUnderRootWithAuth(t *testing.T) {
	bin := build(t)
	root, auth := drovertest.NewRoot(), "alice:s3cret"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: root,
		SessionTimeout: drovertest.SessionTimeout, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close) // after the scheduler stops
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler", s.Run)

	env := []string{"DROVER_ZK=" + drovertest.Addr(), "DROVER_ROOT=" + root, "DROVER_ZK_AUTH=" + auth}
	a, b := start(t, bin, env), start(t, bin, env)
	for _, c := range []*proc{a, b} {
		drovertest.WaitFor(t, 30*time.Second, "the task's result", func() bool {
			return strings.Contains(c.output(), "succeeded: HELLO FROM GO")
		})
	}
	ws, err := client.New(st).Workers(context.Background())
	if err != nil || len(ws) != 2 || ws[0].ID == ws[1].ID {
		t.Fatalf("workers %+v, %v; want two ids", ws, err)
	}
	for _, w := range ws {
		acl, err := st.ACL(st.Layout().Worker(w.ID))
		if err != nil || len(acl) != 1 || !strings.HasPrefix(acl[0], "digest:alice:") {
			t.Fatalf("registration of %s: ACL %v, %v; want alice's only", w.ID, acl, err)
		}
	}

	taken := start(t, bin, env, "-id", ws[0].ID)
	drovertest.WaitFor(t, 15*time.Second, "word of the wait", func() bool {
		return strings.Contains(taken.output(), "still waiting to register "+ws[0].ID)
	})
	for _, c := range []*proc{taken, a, b} {
		c.stop(t)
	}
	if ws, err := client.New(st).Workers(context.Background()); err != nil || len(ws) != 0 {
		t.Fatalf("workers after SIGTERM: %+v, %v", ws, err)
	}
}
