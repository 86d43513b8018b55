package worker

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestMain(m *testing.M) { drovertest.Main(m) }

// startWorker runs a worker on its own store (session) until cleanup.
func startWorker(t *testing.T, root, id string, mod func(*Config)) (*Worker, *store.Store, func()) {
	t.Helper()
	st := drovertest.OpenStore(t, root)
	cfg := Config{ID: id, Commands: true, Store: st, Capacity: 4, Log: drovertest.Logger(t), Version: "test",
		Backoff: Backoff{Base: 50 * time.Millisecond, Max: time.Second}}
	if mod != nil {
		mod(&cfg)
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := drovertest.Run(t, "worker "+id, w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	return w, st, stop
}

// runRegistered runs w until cancel, once it has registered; ran yields
// what Run returns.
func runRegistered(t *testing.T, w *Worker) (cancel func(), ran <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	return cancel, done
}

// assign plays the leader: it writes an assignment for w's registration.
func assign(t *testing.T, st *store.Store, w *Worker, task *store.Task) string {
	t.Helper()
	if task.ID == "" {
		task.ID = ulid.Make().String()
	}
	if task.Attempt == 0 {
		task.Attempt = 1
	}
	if task.Reg == 0 {
		task.Reg = w.Reg()
	}
	task.Worker = w.cfg.ID
	if err := st.EnsureBuckets(task.ID); err != nil {
		t.Fatal(err)
	}
	txn := st.Txn()
	if err := txn.Assign(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	return st.Layout().Assignment(task.Worker, task.ID, task.Attempt)
}

func result(t *testing.T, st *store.Store, id string) *store.Task {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	task, err := st.WaitResult(ctx, id)
	if err != nil {
		t.Fatalf("result of %s: %v", id, err)
	}
	return task
}

func exists(t *testing.T, st *store.Store, p string) bool {
	t.Helper()
	ok, _, err := st.Exists(p)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func writeFile(p string, b []byte) error     { return os.WriteFile(p, b, 0o644) }
func fmtSscan(s string, v *int) (int, error) { return fmt.Sscan(s, v) }

// openExtra opens another session for a worker built by hand.
func openExtra(t *testing.T, root string) *store.Store { return drovertest.OpenStore(t, root) }

// runHandler runs worker "go", which runs only the Go handler name (no
// commands), until cleanup; capacity 0 is New's default.
func runHandler(t *testing.T, root string, capacity int, name string, h Handler) *Worker {
	t.Helper()
	return runPrefetching(t, root, capacity, 0, name, h)
}

// runPrefetching is runHandler for a worker with a prefetch.
func runPrefetching(t *testing.T, root string, capacity, prefetch int, name string, h Handler) *Worker {
	t.Helper()
	w, err := New(Config{ID: "go", Store: openExtra(t, root), Capacity: capacity, Prefetch: prefetch, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle(name, h); err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	return w
}

// noop is a Go handler that does nothing.
var noop = HandlerFunc(func(context.Context, *Task) ([]byte, error) { return nil, nil })

// runWorker runs a worker built by hand until cleanup (or stop), once it
// has registered.
func runWorker(t *testing.T, w *Worker) (stop func()) {
	t.Helper()
	stop = drovertest.Run(t, "worker", w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	return stop
}
