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

// TestReview171DrainHoldWhenMarkFailsForGood: since 5868a94 an assignment
// given a slot after Drain waits for the draining mark to land and then
// goes back. But the mark can fail for good: markDraining's error other
// than a lost connection or a version clash is not retried (here the
// registration fits a record and the same registration with "draining"
// does not: ErrTooLarge). handBack then never closes, and the assignment
// is held on its slot, neither started nor handed back, and counted in
// Running(): the drain does not end when the running attempt has, but
// sits out the whole DrainTimeout, then abandons the task (the leader
// recovers it as lost). Before 5868a94 it ran and the drain ended.
func TestReview171DrainHoldWhenMarkFailsForGood(t *testing.T) {
	var marks atomic.Int32
	hook := func() { marks.Add(1) }
	testHookMarkDraining.Store(&hook)
	t.Cleanup(func() { testHookMarkDraining.Store(nil) })

	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := func() time.Time { return time.Now().Truncate(time.Second) } // StartedAt of fixed length
	w, err := New(Config{ID: "w1", Store: st, Capacity: 2, DrainTimeout: 10 * time.Minute,
		Log: drovertest.Logger(t), Version: "test", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var once atomic.Bool
	t.Cleanup(func() {
		if once.CompareAndSwap(false, true) {
			close(release)
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Handle("block", HandlerFunc(func(ctx context.Context, _ *Task) ([]byte, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})))
	must(w.Handle("quick", HandlerFunc(func(context.Context, *Task) ([]byte, error) { return nil, nil })))

	// Pad the registration with handlers to 4 bytes under the record limit:
	// `,"draining":true` does not fit.
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
	// need in (134, 265]: two handlers of a+3 and b+3 bytes.
	a := min(128, need-6-1)
	must(w.Handle("x"+strings.Repeat("a", a-1), nop))
	must(w.Handle("y"+strings.Repeat("a", need-6-a-1), nop))
	if got := size(false); got != store.MaxRecordSize-4 {
		t.Fatalf("setup: registration of %d bytes, want %d", got, store.MaxRecordSize-4)
	}
	if got := size(true); got <= store.MaxRecordSize {
		t.Fatalf("setup: a draining registration of %d bytes fits", got)
	}

	drovertest.Run(t, "worker w1", w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	if data, _, err := st.Get(st.Layout().Worker("w1")); err != nil || len(data) != store.MaxRecordSize-4 {
		t.Fatalf("setup: registration of %d bytes (%v), want %d", len(data), err, store.MaxRecordSize-4)
	}
	first := &store.Task{Handler: "block", SubmittedAt: time.Now().UTC()}
	assign(t, st, w, first)
	drovertest.WaitFor(t, 20*time.Second, "the first started", func() bool { return w.Stats().Started == 1 })
	w.Drain()
	drovertest.WaitFor(t, 20*time.Second, "the draining mark tried", func() bool { return marks.Load() >= 1 })
	late := &store.Task{Handler: "quick", SubmittedAt: time.Now().UTC()}
	assign(t, st, w, late)
	drovertest.WaitFor(t, 20*time.Second, "the late assignment given a slot", func() bool {
		if w.Stats().Started == 2 {
			return true // it ran (before 5868a94)
		}
		w.slots.mu.Lock()
		defer w.slots.mu.Unlock()
		return w.slots.free == 0
	})
	once.Store(true)
	close(release) // the running attempt ends
	result(t, st, first.ID)
	if !drovertest.Eventually(30*time.Second, func() bool {
		s := w.Stats()
		return s.HandedBack == 1 || s.Started == 2
	}) {
		s := w.Stats()
		t.Fatalf("draining mark failed for good (%d tries), the running attempt ended: the late assignment neither started nor handed back (started %d, handed back %d, running %d) — held until the 10m drain deadline, then abandoned",
			marks.Load(), s.Started, s.HandedBack, w.Running())
	}
}
