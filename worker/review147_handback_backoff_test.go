package worker

import (
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review147: a retry whose backoff has long ended, prefetched on a worker
// that drains, is handed back "at the same attempt": it should be placed on
// another worker at once. The hand-back keeps the record's not_before and
// history, and the leader (notBefore) counts the backoff, not_before less the
// last attempt's end, from the queue item's creation: the hand-back's. So
// the retry waits out its whole backoff a second time (an hour here).
func TestReview147HandedBackRetryServesItsBackoffAgain(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	h := newHolder()
	w := runPrefetching(t, root, 1, 2, "hold", h)
	st := drovertest.OpenStore(t, root)
	// The slot is taken by a task the leader placed (which also gives the
	// leader its reading of ZooKeeper's clock).
	first := &store.Task{ID: ulid.Make().String(), Handler: "hold", SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(t.Context(), []*store.Task{first}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "the first running", func() bool { return len(h.started()) == 1 })

	// A retry placed once its one-hour backoff had ended (as a leader places
	// it: prefetched, waiting for the slot): attempt 1 failed two hours ago.
	now := time.Now().UTC()
	retry := &store.Task{Handler: "hold", Attempt: 2, Retries: 3, SubmittedAt: now.Add(-3 * time.Hour),
		NotBefore: now.Add(-time.Hour), AssignedAt: now,
		History: []store.Attempt{{N: 1, Worker: "go", StartedAt: now.Add(-2*time.Hour - time.Minute), FinishedAt: now.Add(-2 * time.Hour), ExitCode: 1}}}
	assign(t, st, w, retry)
	drovertest.WaitFor(t, 20*time.Second, "the retry waiting for the slot", func() bool { return w.Stats().Waiting == 1 })

	w.Drain()
	drovertest.WaitFor(t, 20*time.Second, "the retry handed back", func() bool { return w.Stats().HandedBack == 1 })
	task, loc, err := st.LookupTask(retry.ID)
	if err != nil || loc.Path != st.Layout().QueueItem(retry.ID) || task.Attempt != 3 {
		t.Fatalf("retry at %s (%v): want queued at attempt 3 (2 handed back)", loc.Path, err)
	}

	// Another worker is free: the retry should run there now.
	w2, err := New(Config{ID: "go2", Store: openExtra(t, root), Capacity: 4, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Handle("hold", h); err != nil {
		t.Fatal(err)
	}
	runWorker(t, w2)
	if !drovertest.Eventually(30*time.Second, func() bool { return containsID(h.started(), retry.ID) }) {
		task, loc, err := st.LookupTask(retry.ID)
		t.Fatalf("handed-back retry not started on the free worker: at %s (%v), not_before %v, history %+v: its backoff, long over, is served again from the hand-back",
			loc.Path, err, task.NotBefore, task.History)
	}
	close(h.hold)
	if r := result(t, st, retry.ID); r.State != store.StateSucceeded || r.Attempt != 3 {
		t.Fatalf("retry: %s at attempt %d", r.State, r.Attempt)
	}
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
