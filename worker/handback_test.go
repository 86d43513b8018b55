package worker

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A draining worker gives its prefetched assignments, still waiting for a
// slot, back to the queue at once: the same attempt, neither lost nor
// failed, one hand-back more; another worker runs them. What runs is left
// to finish within the drain.
func TestDrainHandsBackWhatHasNotStarted(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	h := newHolder()
	w := runPrefetching(t, root, 1, 3, "hold", h)
	st := drovertest.OpenStore(t, root)
	var ids []string
	for range 4 {
		task := &store.Task{ID: ulid.Make().String(), Handler: "hold", SubmittedAt: time.Now().UTC()}
		if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	drovertest.WaitFor(t, 20*time.Second, "one running, three waiting", func() bool {
		return len(h.started()) == 1 && w.Stats().Waiting == 3
	})
	first := h.started()[0]
	w.Drain()
	drovertest.WaitFor(t, 20*time.Second, "three handed back", func() bool { return w.Stats().HandedBack == 3 })
	for _, id := range ids {
		if id == first {
			continue
		}
		task, loc, err := st.LookupTask(id)
		if err != nil {
			t.Fatal(err)
		}
		if loc.Path != st.Layout().QueueItem(id) || task.State != store.StateQueued || task.Attempt != 1 ||
			task.HandedBack != 1 || len(task.History) != 0 {
			t.Fatalf("task %s at %s: %s, attempt %d, handed back %d, history %+v: want queued, attempt 1, handed back once, no history",
				id, loc.Path, task.State, task.Attempt, task.HandedBack, task.History)
		}
		if want := store.EnqueuedVersionOf(task); loc.Stat.Version != want {
			t.Fatalf("task %s queued at version %d, want %d", id, loc.Stat.Version, want)
		}
	}
	if got := h.started(); len(got) != 1 || w.Stats().Started != 1 {
		t.Fatalf("started %v (%d): only the first should have", got, w.Stats().Started)
	}
	close(h.hold) // the running one ends, and with it the drain

	// Another worker runs what was handed back, as its first attempt.
	w2, err := New(Config{ID: "go2", Store: openExtra(t, root), Capacity: 4, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Handle("hold", h); err != nil {
		t.Fatal(err)
	}
	runWorker(t, w2)
	for _, id := range ids {
		r := result(t, st, id)
		if r.State != store.StateSucceeded || r.Attempt != 1 || len(r.History) != 1 || r.History[0].Lost {
			t.Fatalf("task %s: %s at attempt %d, history %+v: want succeeded at its first attempt", id, r.State, r.Attempt, r.History)
		}
	}
	if got := h.started(); len(got) != 4 || len(slices.Compact(slices.Sorted(slices.Values(got)))) != 4 {
		t.Fatalf("started %v: want each of the four once", got)
	}
}

// A task handed back as often as a record may count runs on the draining
// worker instead, as a drain did before hand-backs.
func TestDrainRunsWhatWasHandedBackTooOften(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Capacity = 1 })
	dir := t.TempDir()
	assign(t, st, w, &store.Task{Shell: true, Cmd: []string{`while [ ! -e ` + dir + `/go ]; do sleep 0.01; done`}})
	drovertest.WaitFor(t, 10*time.Second, "the first running", func() bool { return w.Stats().Executing == 1 })
	late := &store.Task{Cmd: []string{"true"}, HandedBack: store.MaxHandedBack}
	assign(t, st, w, late)
	back := &store.Task{Cmd: []string{"true"}}
	assign(t, st, w, back)
	drovertest.WaitFor(t, 10*time.Second, "two waiting", func() bool { return w.Stats().Waiting == 2 })
	w.Drain()
	drovertest.WaitFor(t, 10*time.Second, "one handed back", func() bool { return w.Stats().HandedBack == 1 })
	if err := writeFile(dir+"/go", nil); err != nil {
		t.Fatal(err)
	}
	if r := result(t, st, late.ID); r.State != store.StateSucceeded {
		t.Fatalf("task handed back %d times: %s (%s), want run by the draining worker", store.MaxHandedBack, r.State, r.Error)
	}
	task, loc, err := st.LookupTask(back.ID)
	if err != nil || loc.Path != st.Layout().QueueItem(back.ID) || task.HandedBack != 1 {
		t.Fatalf("task %s at %s (%v): want queued, handed back once", back.ID, loc.Path, err)
	}
}
