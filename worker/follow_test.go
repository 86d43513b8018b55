package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestFollowedAttemptPublishes: a follower that comes while a command has
// been running gets what it wrote so far (the last store.LiveTail bytes
// and the count of all), then what it writes next; a task nobody follows
// costs the worker no watch of its own (the follow directory's one watch
// stays one however many attempts run).
func TestFollowedAttemptPublishes(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w-follow", nil)
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate")
	// 20,000 bytes, then a line once the gate is there.
	ready := filepath.Join(dir, "ready")
	script := "head -c 20000 /dev/zero | tr '\\0' x; echo; touch " + ready + "; while [ ! -e " + gate + " ]; do sleep 0.02; done; echo after"
	batch := func(n int) int64 {
		var paths []string
		for range n {
			paths = append(paths, assign(t, st, w, &store.Task{Cmd: []string{"true"}}))
		}
		for _, p := range paths {
			waitGone(t, st, p)
		}
		return st.LiveWatches()
	}
	// The directory's watch comes and goes with its listings: one either way.
	if before, after := batch(8), batch(32); after > before+1 {
		t.Fatalf("the worker's store holds %d live watches after 32 more attempts nobody followed, %d before", after, before)
	}

	task := &store.Task{Cmd: []string{"sh", "-c", script}}
	p := assign(t, st, w, task)
	drovertest.WaitFor(t, 20*time.Second, "the command to write its 20,001 bytes", func() bool {
		_, err := os.Stat(ready)
		return err == nil
	})
	follower := drovertest.OpenStore(t, root)
	if _, err := follower.FollowTask(context.Background(), task.ID); err != nil {
		t.Fatal(err)
	}
	var last *store.LiveOutput
	read := func() bool {
		data, _, err := follower.Get(follower.Layout().FollowNode(task.ID))
		if err != nil {
			t.Fatal(err)
		}
		o, err := store.DecodeLiveOutput(data)
		if err != nil {
			t.Fatal(err)
		}
		last = o
		return o != nil
	}
	drovertest.WaitFor(t, 20*time.Second, "the first publication", func() bool { return read() && last.StdoutBytes == 20001 })
	if len(last.Stdout) != store.LiveTail || last.Attempt != 1 || last.Worker != "w-follow" ||
		strings.Trim(string(last.Stdout), "x\n") != "" {
		t.Fatalf("first publication: %d bytes of stdout, attempt %d, worker %q; want the last %d of 20001", len(last.Stdout), last.Attempt, last.Worker, store.LiveTail)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The last words are published before the report: the attempt's
	// final flush.
	waitGone(t, st, p)
	if n := w.Stats().LiveWrites; n < 2 {
		t.Fatalf("Stats().LiveWrites = %d after two publications at least", n)
	}
	// Each publication after the first holds what came since the one
	// before: the last, the line after the gate.
	if !read() || last.StdoutBytes != 20007 || string(last.Stdout) != "after\n" {
		t.Fatalf("after the attempt ended, the follow znode says %d bytes, the last %q; want 20007, the last after", last.StdoutBytes, string(last.Stdout[max(0, len(last.Stdout)-10):]))
	}
}

// waitGone waits for an assignment to have been reported (deleted).
func waitGone(t *testing.T, st *store.Store, p string) {
	t.Helper()
	drovertest.WaitFor(t, 20*time.Second, "assignment "+p+" to be reported", func() bool {
		ok, _, err := st.Exists(p)
		return err == nil && !ok
	})
}

// TestHandlerLogIsFollowedAndKept: what a Go handler writes to its Task.Log
// reaches a follower while the handler runs, and is kept as the attempt's
// stderr, beside its result (stdout).
func TestHandlerLogIsFollowedAndKept(t *testing.T) {
	root := drovertest.NewRoot()
	release := make(chan struct{})
	st := drovertest.OpenStore(t, root)
	w, err := New(Config{ID: "w-hlog", Store: st, Log: drovertest.Logger(t), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("slow", HandlerFunc(func(ctx context.Context, tk *Task) ([]byte, error) {
		fmt.Fprintln(tk.Log, "halfway")
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		fmt.Fprintln(tk.Log, "done")
		return []byte("result"), nil
	})); err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "worker w-hlog", w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	task := &store.Task{Handler: "slow"}
	p := assign(t, st, w, task)
	follower := drovertest.OpenStore(t, root)
	if _, err := follower.FollowTask(context.Background(), task.ID); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "the handler's first line published", func() bool {
		data, _, err := follower.Get(follower.Layout().FollowNode(task.ID))
		o, derr := store.DecodeLiveOutput(data)
		return err == nil && derr == nil && o != nil && string(o.Stderr) == "halfway\n" && o.StderrBytes == 8
	})
	close(release)
	waitGone(t, st, p)
	res, _, err := st.LookupTask(task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != store.StateSucceeded || res.Stdout != "result" || res.Stderr != "halfway\ndone\n" {
		t.Fatalf("result %s stdout %q stderr %q; want succeeded, result, both lines", res.State, res.Stdout, res.Stderr)
	}
}
