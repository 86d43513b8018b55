package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview173DrainWithUnwritableMarkStartsNewWork: README: "`w.Drain()`
// stops it as SIGTERM stops `drover worker`: no new work". A Go worker
// whose registration fits a record but not with "draining" set (handlers:
// CheckConfig, since e93cbd3, refuses such a registration for labels and
// allow-lists, but Run's register checks only the registration unmarked)
// registers, and its draining mark then fails for good (ErrTooLarge). Since
// 425f434 what was placed on it after Drain then starts ("runs, as before
// the drain"): the leader, seeing no mark, goes on placing there, and the
// draining worker starts each task, until the drain's deadline kills what
// runs (lost). Here: a task placed after Drain, while the attempt running
// at the drain still runs, starts on the draining worker and is then
// killed at the deadline. Run's register could refuse, as CheckConfig does,
// a registration that cannot be marked draining (errUnfitRegistration).
func TestReview173DrainWithUnwritableMarkStartsNewWork(t *testing.T) {
	var marks atomic.Int32
	hook := func() { marks.Add(1) }
	testHookMarkDraining.Store(&hook)
	t.Cleanup(func() { testHookMarkDraining.Store(nil) })

	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := func() time.Time { return time.Now().Truncate(time.Second) } // StartedAt of fixed length
	w, err := New(Config{ID: "w1", Store: st, Capacity: 2, DrainTimeout: 5 * time.Second,
		Log: drovertest.Logger(t), Version: "test", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	block := HandlerFunc(func(ctx context.Context, _ *Task) ([]byte, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})
	var lateStarted atomic.Bool
	must(w.Handle("block", block))
	must(w.Handle("late", HandlerFunc(func(ctx context.Context, _ *Task) ([]byte, error) {
		lateStarted.Store(true)
		<-ctx.Done()
		return nil, nil
	})))
	size := func(draining bool) int {
		host, _ := os.Hostname()
		info := store.WorkerInfo{ID: w.cfg.ID, Host: host, PID: os.Getpid(), Labels: w.cfg.Labels,
			Capacity: w.cfg.Capacity, Prefetch: w.cfg.Prefetch, Version: w.cfg.Version, StartedAt: w.cfg.Now().UTC(), Handlers: w.handlerNames(),
			NoCommands: !w.cfg.Commands, Allow: w.cfg.Allow, AllowEnv: w.cfg.AllowEnv, EnvRule: true, Token: w.token, Draining: draining}
		info.V = store.FormatVersion
		b, err := json.Marshal(&info)
		must(err)
		return len(b)
	}
	nop := HandlerFunc(func(context.Context, *Task) ([]byte, error) { return nil, nil })
	need := store.MaxRecordSize - 4 - size(false)
	for i := 0; need > 131+134; i++ {
		name := fmt.Sprintf("p%05d", i)
		must(w.Handle(name+strings.Repeat("a", 128-len(name)), nop))
		need -= 131
	}
	a := min(128, need-6-1)
	must(w.Handle("x"+strings.Repeat("a", a-1), nop))
	must(w.Handle("y"+strings.Repeat("a", need-6-a-1), nop))
	if got := size(true); got <= store.MaxRecordSize || size(false) > store.MaxRecordSize {
		t.Fatalf("setup: registration %d bytes, draining %d", size(false), got)
	}

	drovertest.Run(t, "worker w1", w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatalf("worker did not register (a registration that cannot be marked draining refused: %d bytes marked)", size(true))
	}
	first := &store.Task{Handler: "block", SubmittedAt: time.Now().UTC()}
	assign(t, st, w, first)
	drovertest.WaitFor(t, 20*time.Second, "the first started", func() bool { return w.Stats().Started == 1 })
	w.Drain()
	drovertest.WaitFor(t, 20*time.Second, "the draining mark tried", func() bool { return marks.Load() >= 1 })
	// Placed after Drain (the first still running), as a leader that
	// sees no mark goes on placing.
	late := &store.Task{Handler: "late", SubmittedAt: time.Now().UTC()}
	assign(t, st, w, late)
	drovertest.WaitFor(t, 30*time.Second, "the late assignment started, handed back, or the drain over", func() bool {
		s := w.Stats()
		return s.Started == 2 || s.HandedBack == 1 || !s.Registered
	})
	close(release) // the attempt running at the drain ends
	if s := w.Stats(); s.Started == 2 {
		drovertest.Eventually(30*time.Second, func() bool { return w.Stats().Killed >= 1 })
		s = w.Stats()
		t.Fatalf("after Drain (draining mark failed for good, %d tries), a task placed on the draining worker started (late handler ran: %v; started %d, handed back %d) and was killed at the drain's deadline (killed %d): README says a drain takes no new work",
			marks.Load(), lateStarted.Load(), s.Started, s.HandedBack, s.Killed)
	}
}
