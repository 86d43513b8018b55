package worker

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

var zkAddr string

func TestMain(m *testing.M) {
	srv, stop := zkserver.MustStartForMain()
	zkAddr = srv.Addr()
	code := m.Run()
	stop()
	os.Exit(code)
}

var rootSeq atomic.Int64

func newRoot() string { return fmt.Sprintf("/worker-test-%d-%d", os.Getpid(), rootSeq.Add(1)) }

func testLog(t *testing.T) zerolog.Logger {
	if testing.Verbose() {
		return zerolog.New(zerolog.NewTestWriter(t)).With().Timestamp().Logger()
	}
	return zerolog.Nop()
}

func openStore(t *testing.T, root string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{zkAddr}, Root: root, SessionTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startWorker runs a worker on its own store (session) until cleanup.
func startWorker(t *testing.T, root, id string, mod func(*Config)) (*Worker, *store.Store, func()) {
	t.Helper()
	st := openStore(t, root)
	cfg := Config{ID: id, Store: st, Capacity: 4, Log: testLog(t), Version: "test",
		Backoff: Backoff{Base: 50 * time.Millisecond, Max: time.Second}}
	if mod != nil {
		mod(&cfg)
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("worker %s: %v", id, err)
		}
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	return w, st, stop
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

func readFile(p string) ([]byte, error)      { return os.ReadFile(p) }
func writeFile(p string, b []byte) error     { return os.WriteFile(p, b, 0o644) }
func fmtSscan(s string, v *int) (int, error) { return fmt.Sscan(s, v) }
