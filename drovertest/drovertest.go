// Package drovertest helps tests of Drover, and of programs built on it, run
// against a real ZooKeeper: one server per test package, a private root per test,
// stores closed at cleanup, and waiting on conditions with deadlines.
package drovertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

var (
	addr    string
	rootSeq atomic.Int64
)

// Main runs a test package against one ZooKeeper server it starts (from the
// system installation, on a free loopback port, with a temporary data dir) and
// stops; call it from TestMain. It exits with the tests' code.
func Main(m *testing.M) {
	srv, stop := zkserver.MustStartForMain()
	addr = srv.Addr()
	code := m.Run()
	stop()
	os.Exit(code)
}

// Addr is the address of the server Main started.
func Addr() string { return addr }

// NewRoot returns a cluster root no other test in this run uses, so tests can
// share one server without seeing each other's data.
func NewRoot() string { return fmt.Sprintf("/test-%d-%d", os.Getpid(), rootSeq.Add(1)) }

// SessionTimeout is the session timeout of stores opened here: short, so tests
// of expiry and failover run fast.
const SessionTimeout = 2 * time.Second

// OpenStore opens a store on the package's server under root; it is closed at
// the end of the test.
func OpenStore(t testing.TB, root string) *store.Store {
	t.Helper()
	if addr == "" {
		t.Fatal("drovertest: no ZooKeeper: call drovertest.Main(m) from the package's TestMain")
	}
	return OpenStoreAt(t, addr, root)
}

// OpenStoreAt is OpenStore against another address (a proxy, an ensemble).
func OpenStoreAt(t testing.TB, at, root string) *store.Store {
	t.Helper()
	return OpenStoreFor(t, at, root, SessionTimeout)
}

// OpenStoreFor is OpenStoreAt asking for another session timeout.
func OpenStoreFor(t testing.TB, at, root string, timeout time.Duration) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{at}, Root: root, SessionTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// WaitFor polls cond until it holds, failing the test after d.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Eventually(d, cond) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// Eventually polls cond until it holds or d has passed, and reports whether
// it held: for a test whose failure says more than WaitFor's.
func Eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// Received waits up to d for a value on ch, and returns it and true, or
// the zero value and false: for a call that should have returned by then.
func Received[T any](ch <-chan T, d time.Duration) (T, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v, true
	case <-timer.C:
		var zero T
		return zero, false
	}
}

// Manifests counts the manifests in dir (none when dir does not exist).
func Manifests(t testing.TB, st *store.Store, dir string) int {
	t.Helper()
	kids, err := st.Children(dir)
	if errors.Is(err, store.ErrNoNode) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range kids {
		if store.IsManifestName(k) {
			n++
		}
	}
	return n
}

// Succeed files queued task id's result, succeeded with exit 0, in place
// of its queue item, as a worker's report would: for tests that need a
// finished task without running one.
func Succeed(t testing.TB, st *store.Store, id string) {
	t.Helper()
	item := st.Layout().QueueItem(id)
	data, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	done, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	code := 0
	done.State, done.ExitCode, done.FinishedAt = store.StateSucceeded, &code, time.Now().UTC()
	txn := st.Txn()
	txn.Delete(item, stat.Version)
	if err := txn.Finish(done); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
}

// QueuedIDs lists the ids of the tasks in st's queue, walking its buckets
// (manifests left out).
func QueuedIDs(t testing.TB, st *store.Store) []string {
	t.Helper()
	var ids []string
	q := st.Layout().Queue()
	b1s, err := st.Children(q)
	if err != nil {
		t.Fatal(err)
	}
	for _, b1 := range b1s {
		b2s, err := st.Children(q + "/" + b1)
		if err != nil {
			t.Fatal(err)
		}
		for _, b2 := range b2s {
			names, err := st.Children(q + "/" + b1 + "/" + b2)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				if !store.IsManifestName(n) {
					ids = append(ids, n)
				}
			}
		}
	}
	return ids
}

// PadToFiringBound pads the task template of schedule rec (an env value,
// PAD) until its weight as DecodeSchedule weighs it
// (store.Schedule.FiringWeight: the record and the template, less its
// active runs and last slot) is store.MaxFiringBytes less room bytes, or
// less room+1 (the pad counts twice): a schedule at the edge of what its
// reader accepts, for tests of the writers that change it. Set the rest of
// rec first, its history too.
func PadToFiringBound(t testing.TB, rec *store.Schedule, room int) {
	t.Helper()
	if rec.Task.Env == nil {
		rec.Task.Env = map[string]string{}
	}
	size := func() (record, weight int) {
		data, err := store.Encode(rec)
		if err != nil {
			t.Fatal(err)
		}
		w, err := rec.FiringWeight(len(data))
		if err != nil {
			t.Fatal(err)
		}
		return len(data), w
	}
	rec.Task.Env["PAD"] = ""
	_, weight := size()
	pad := (store.MaxFiringBytes - room - weight) / 2
	if pad < 0 {
		t.Fatalf("schedule %s: %d bytes past the bound before any pad", rec.Name, -2*pad)
	}
	rec.Task.Env["PAD"] = strings.Repeat("x", pad)
	if record, _ := size(); rec.CheckFireable(record) != nil || rec.CheckFireable(record+room+2) == nil {
		t.Fatalf("schedule %s: not padded to %d bytes from the bound: %v", rec.Name, room, rec.CheckFireable(record))
	}
}

// HandWrittenRuns are active runs of tasks ids (none: of 30 tasks made up),
// each with a reason of 400 bytes, as only a hand writes them: 30 or more
// take a record's firing state past what its weight leaves out
// (store.Schedule.FiringWeight), so that whatever adds to the state (a
// run, a pause) adds to the weight.
func HandWrittenRuns(ids ...string) []store.ScheduleRun {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if len(ids) == 0 {
		for i := range 30 {
			ids = append(ids, store.SlotTaskID("hand", at.Add(time.Duration(i)*time.Hour), 0))
		}
	}
	runs := make([]store.ScheduleRun, len(ids))
	for i, id := range ids {
		runs[i] = store.ScheduleRun{Slot: at.Add(time.Duration(i) * time.Hour), Task: id, Reason: strings.Repeat("r", 400)}
	}
	return runs
}

// Logger logs to the test's output with -v, and nowhere otherwise.
func Logger(t testing.TB) zerolog.Logger {
	if testing.Verbose() {
		return zerolog.New(zerolog.NewTestWriter(t)).With().Timestamp().Logger()
	}
	return zerolog.Nop()
}

// Run runs a long-lived component (a scheduler's or worker's Run) in a
// goroutine until the returned stop is called or the test ends; an error it
// returns fails the test.
func Run(t testing.TB, name string, run func(ctx context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := run(ctx); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// LogBuffer is a log's output that goroutines write while a test reads it.
type LogBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
