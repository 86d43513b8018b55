package worker

import (
	"errors"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestDrainStartsNothingBeforeItsMarkLands: between Drain and its draining
// mark landing, the leader may still place work here, and an assignment
// that found a slot free started (README: a drain takes no new work; a long
// task so started was killed at the drain's deadline and counted lost,
// review168's note). It now waits for the mark, then goes back to the
// queue unstarted, as one arriving after the mark does.
func TestDrainStartsNothingBeforeItsMarkLands(t *testing.T) {
	gate := make(chan struct{})
	hook := func() error { <-gate; return nil }
	testHookMarkDraining.Store(&hook)
	t.Cleanup(func() { testHookMarkDraining.Store(nil) })
	var once bool
	release := func() {
		if !once {
			once = true
			close(gate)
		}
	}
	t.Cleanup(release)

	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Capacity = 2; c.DrainTimeout = time.Minute })
	// One runs, so that the drain waits for it.
	assign(t, st, w, &store.Task{Cmd: []string{"sleep", "30"}, SubmittedAt: time.Now().UTC()})
	drovertest.WaitFor(t, 20*time.Second, "the first started", func() bool { return w.Stats().Started == 1 })
	w.Drain()
	drovertest.WaitFor(t, 20*time.Second, "the drain begun", func() bool { return w.Stats().Draining })
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"sleep", "30"}, SubmittedAt: time.Now().UTC()}
	p := assign(t, st, w, task)
	drovertest.WaitFor(t, 20*time.Second, "the assignment given a slot", func() bool {
		w.slots.mu.Lock()
		defer w.slots.mu.Unlock()
		return w.slots.free == 0
	})
	release() // the mark lands
	drovertest.WaitFor(t, 20*time.Second, "the assignment handed back or started", func() bool {
		return w.Stats().HandedBack == 1 || w.Stats().Started == 2
	})
	if s := w.Stats(); s.Started != 1 || s.HandedBack != 1 {
		t.Fatalf("an assignment placed after Drain, before its mark landed: started %d, handed back %d; want it handed back unstarted", s.Started, s.HandedBack)
	}
	got, loc, err := st.LookupTask(task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if loc.Path == p || got.State != store.StateQueued || len(got.History) != 1 || !got.History[0].Unstarted {
		t.Fatalf("task at %s: %s, history %+v; want queued again, attempt 1 unstarted", loc.Path, got.State, got.History)
	}
}

// TestDrainRunsWhatWaitedWhenItsMarkFailsForGood: a draining mark that
// fails for good (an error not tried again) leaves the leader placing here;
// what waited for the mark runs, as before the drain, rather than wait to
// the drain's deadline (review171).
func TestDrainRunsWhatWaitedWhenItsMarkFailsForGood(t *testing.T) {
	hook := func() error { return errors.New("refused for good") }
	testHookMarkDraining.Store(&hook)
	t.Cleanup(func() { testHookMarkDraining.Store(nil) })

	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Capacity = 2; c.DrainTimeout = time.Minute })
	assign(t, st, w, &store.Task{Cmd: []string{"sleep", "30"}, SubmittedAt: time.Now().UTC()})
	drovertest.WaitFor(t, 20*time.Second, "the first started", func() bool { return w.Stats().Started == 1 })
	w.Drain()
	drovertest.WaitFor(t, 20*time.Second, "the drain begun", func() bool { return w.Stats().Draining })
	assign(t, st, w, &store.Task{Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()})
	drovertest.WaitFor(t, 20*time.Second, "the second started, its mark failed for good", func() bool { return w.Stats().Started == 2 })
}
