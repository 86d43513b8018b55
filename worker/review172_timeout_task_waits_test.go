package worker

import (
	"context"
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// review172: README: --prefetch "lets the leader place up to P more tasks
// than its capacity on it, of tasks with no `--timeout` and no starting
// deadline", and --timeout-grace: an attempt is withdrawn "--timeout-grace
// after its timeout (counted from its start, as the worker counts it ...)".
// A task with a timeout is placed only on a free slot, never to wait on a
// worker: the leader counts its timeout from its placement.
//
// But the worker hands its free slots out by the queue's order alone
// (slots: priority, then task id), with no regard for whether an
// assignment may wait. A task with a timeout placed on the worker's free
// slot, and, before the worker read it, a task of the same priority with an
// older id (a retry, which keeps its place, or any task queued before it
// and placed later) placed in its prefetch: the worker gives the free slot
// to the older one, and the task with a timeout waits, never started,
// behind the attempts that run. The leader then withdraws it at its
// timeout plus the grace, counted from the placement, as a FAILED attempt
// ("timeout after ...: withdrawn by the leader"), one of its --retries
// spent, though it never ran a moment.
func TestReview172TimeoutTaskWaitsBehindPrefetchedAndFailsUnstarted(t *testing.T) {
	root := drovertest.NewRoot()
	sst := drovertest.OpenStore(t, root)
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: sst, Log: drovertest.Logger(t), TimeoutGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler s1", s.Run)
	st := sst
	px := drovertest.StartProxy(t, drovertest.Addr())
	wst := drovertest.OpenStoreFor(t, px.Addr(), root, 20*time.Second)
	h := newHolder()
	t.Cleanup(func() { close(h.hold) })
	w, err := New(Config{ID: "go", Store: wst, Capacity: 2, Prefetch: 2, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("step", h); err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	submit := func(id string, timeout time.Duration) {
		task := &store.Task{ID: id, Handler: "step", Timeout: store.MillisOf(timeout), Retries: 1, SubmittedAt: time.Now().UTC()}
		if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
			t.Fatal(err)
		}
	}
	placed := func(id string) func() bool {
		return func() bool { return !slices.Contains(drovertest.QueuedIDs(t, st), id) }
	}
	// A long attempt (no timeout) takes one of the two slots.
	long := ulid.Make().String()
	submit(long, 0)
	drovertest.WaitFor(t, 20*time.Second, "the long task to run", func() bool { return len(h.started()) == 1 })
	// The worker's listing lags (its link down a moment, within its
	// session) while the leader places, one pass at a time.
	px.Cut(true)
	drovertest.WaitFor(t, 20*time.Second, "the worker's store disconnected", func() bool {
		ok, _ := wst.Connected()
		return !ok
	})
	timed := ulid.Make().String()
	submit(timed, 2*time.Second)
	drovertest.WaitFor(t, 20*time.Second, "the task with a timeout placed on the free slot", placed(timed))
	older := ulid.MustNew(ulid.Timestamp(time.Now().Add(-time.Hour)), rand.Reader).String()
	submit(older, 0)
	drovertest.WaitFor(t, 20*time.Second, "the older task (no timeout) placed in the prefetch", placed(older))
	px.Cut(false)

	drovertest.WaitFor(t, 20*time.Second, "a second attempt to start", func() bool { return len(h.started()) >= 2 })
	if got := h.started(); got[1] == timed {
		return // the task that cannot wait took the free slot it was placed on
	}
	// It waits. See what becomes of its attempt.
	var first store.Attempt
	drovertest.WaitFor(t, 30*time.Second, "the task with a timeout to end an attempt", func() bool {
		rec, _, err := st.LookupTask(timed)
		if err != nil || len(rec.History) == 0 {
			return false
		}
		first = rec.History[0]
		return true
	})
	t.Fatalf("the free slot went to the older task %s (no timeout, placed after it in the prefetch); the task %s with a 2s timeout, placed on that free slot, waited behind the long attempt, never started (started %v), and its attempt ended started_at=%v unstarted=%v lost=%v error=%q (counted as a failure: %v)",
		older, timed, h.started(), first.StartedAt, first.Unstarted, first.Lost, first.Error, !first.Unstarted && !first.Lost && !first.Cancelled)
}
