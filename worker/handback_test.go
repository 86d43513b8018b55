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
// slot, back to the queue at once: the attempt ends unstarted, neither lost
// nor failed, and another worker runs the next. What runs is left to
// finish within the drain.
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
		if loc.Path != st.Layout().QueueItem(id) || task.State != store.StateQueued || task.Attempt != 2 ||
			len(task.History) != 1 || !task.History[0].Unstarted || task.History[0].Lost || task.History[0].Worker != "go" ||
			!task.NotBefore.IsZero() {
			t.Fatalf("task %s at %s: %s, attempt %d, history %+v, not before %v: want queued as attempt 2, attempt 1 unstarted on go",
				id, loc.Path, task.State, task.Attempt, task.History, task.NotBefore)
		}
		if want := store.EnqueuedVersionOf(task); loc.Stat.Version != want {
			t.Fatalf("task %s queued at version %d, want %d", id, loc.Stat.Version, want)
		}
	}
	if got := h.started(); len(got) != 1 || w.Stats().Started != 1 {
		t.Fatalf("started %v (%d): only the first should have", got, w.Stats().Started)
	}
	close(h.hold) // the running one ends, and with it the drain

	// Another worker runs what was handed back.
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
		want := 2 // attempt 1 handed back
		if id == first {
			want = 1
		}
		if r.State != store.StateSucceeded || r.Attempt != want || len(r.History) != want || r.Losses() != 0 || r.Failures() != 1 {
			t.Fatalf("task %s: %s at attempt %d, history %+v: want succeeded at attempt %d, nothing lost", id, r.State, r.Attempt, r.History, want)
		}
	}
	if got := h.started(); len(got) != 4 || len(slices.Compact(slices.Sorted(slices.Values(got)))) != 4 {
		t.Fatalf("started %v: want each of the four once", got)
	}
}

// A task that ended unstarted as often as a record may count runs on the
// draining worker instead, as a drain did before hand-backs.
func TestDrainRunsWhatWasHandedBackTooOften(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Capacity = 1 })
	dir := t.TempDir()
	assign(t, st, w, &store.Task{Shell: true, Cmd: []string{`while [ ! -e ` + dir + `/go ]; do sleep 0.01; done`}})
	drovertest.WaitFor(t, 10*time.Second, "the first running", func() bool { return w.Stats().Executing == 1 })
	late := &store.Task{Cmd: []string{"true"}, Attempt: store.MaxUnstarted + 1}
	for n := range store.MaxUnstarted {
		late.History = append(late.History, store.Attempt{N: n + 1, Worker: "w0", ExitCode: -1, Unstarted: true})
	}
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
		t.Fatalf("task %d times unstarted: %s (%s), want run by the draining worker", store.MaxUnstarted, r.State, r.Error)
	}
	task, loc, err := st.LookupTask(back.ID)
	if err != nil || loc.Path != st.Layout().QueueItem(back.ID) || task.Attempt != 2 {
		t.Fatalf("task %s at %s (%v): want queued as attempt 2", back.ID, loc.Path, err)
	}
}

// A hand-back whose outcome was not heard is looked for once back on the
// session: sent again when it never arrived, counted once when it landed;
// either way the task is queued once, as its next attempt.
func TestHandBackOutcomeLostWithTheConnection(t *testing.T) {
	for _, applied := range []bool{false, true} {
		name := "request lost"
		if applied {
			name = "reply lost"
		}
		t.Run(name, func(t *testing.T) {
			root := drovertest.NewRoot()
			px := drovertest.StartProxy(t, drovertest.Addr())
			h := newHolder()
			w, err := New(Config{ID: "w1", Store: drovertest.OpenStoreAt(t, px.Addr(), root), Capacity: 1, Log: drovertest.Logger(t)})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Handle("hold", h); err != nil {
				t.Fatal(err)
			}
			runWorker(t, w)
			st := drovertest.OpenStore(t, root)
			assign(t, st, w, &store.Task{Handler: "hold"})
			drovertest.WaitFor(t, 10*time.Second, "the first running", func() bool { return len(h.started()) == 1 })
			waiting := &store.Task{Handler: "hold"}
			path := assign(t, st, w, waiting)
			drovertest.WaitFor(t, 10*time.Second, "one waiting", func() bool { return w.Stats().Waiting == 1 })
			marker := []byte(st.Layout().QueueItem(waiting.ID))
			if applied {
				px.DropRepliesAfter(marker)
			} else {
				px.FreezeAt(marker)
			}
			w.Drain()
			drovertest.WaitFor(t, 20*time.Second, "the hand-back sent", func() bool { return px.Frozen() || px.Dropping() })
			px.Cut(true)
			px.Cut(false)
			drovertest.WaitFor(t, 20*time.Second, "the hand-back counted", func() bool { return w.Stats().HandedBack == 1 })
			task, loc, err := st.LookupTask(waiting.ID)
			if err != nil || loc.Path != st.Layout().QueueItem(waiting.ID) || task.Attempt != 2 || len(task.History) != 1 {
				t.Fatalf("task at %s (%v): attempt %d, history %+v: want queued as attempt 2, once", loc.Path, err, task.Attempt, task.History)
			}
			if exists(t, st, path) {
				t.Fatal("the assignment stands")
			}
			close(h.hold)
		})
	}
}
