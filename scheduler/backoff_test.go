package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// fail reports an assignment as failed with its retry queued delay from now,
// as a worker does for a failed attempt with retries left; it returns the
// time the retry may start.
func (w *fakeWorker) fail(t *testing.T, name string, delay time.Duration) time.Time {
	t.Helper()
	p, task, version := w.read(t, name)
	now := time.Now().UTC()
	done := task.Clone()
	done.AddAttempt(store.Attempt{N: task.Attempt, Worker: w.id, StartedAt: now, FinishedAt: now, ExitCode: 1, Error: "exit status 1"})
	if !done.ShouldRetry() {
		t.Fatalf("%s has no retry left", name)
	}
	next := done.Clone()
	next.Attempt++
	next.NotBefore = now.Add(delay)
	err := w.st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Delete(p, version)
		return txn.Enqueue(next.Clone())
	})
	if err != nil {
		t.Fatal(err)
	}
	return next.NotBefore
}

// assignment reads worker's assignment of attempt n of task id.
func assignment(t *testing.T, st *store.Store, worker, id string, n int) *store.Task {
	t.Helper()
	data, _, err := st.Get(st.Layout().Assignment(worker, id, n))
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// checkRetryPlaced waits for attempt 2 of id on w and checks it was placed
// once, no sooner than notBefore, with attempt 1's failure in its history;
// it returns the assignment.
func checkRetryPlaced(t *testing.T, st *store.Store, w *fakeWorker, id string, notBefore time.Time) *store.Task {
	t.Helper()
	second := store.AssignmentName(id, 2)
	drovertest.WaitFor(t, 20*time.Second, "attempt 2 placed", func() bool {
		for _, a := range w.assignments(t) {
			if a == second {
				return true
			}
		}
		return false
	})
	if got := w.assignments(t); len(got) != 1 {
		t.Fatalf("assignments %v: want attempt 2 alone", got)
	}
	if q := drovertest.QueuedIDs(t, st); len(q) != 0 {
		t.Fatalf("still queued after the retry was placed: %v", q)
	}
	a := assignment(t, st, w.id, id, 2)
	if a.AssignedAt.Before(notBefore) {
		t.Fatalf("attempt 2 placed at %v, before its backoff ended at %v", a.AssignedAt, notBefore)
	}
	if len(a.History) != 1 || a.History[0].N != 1 || a.History[0].Lost || a.History[0].ExitCode != 1 {
		t.Fatalf("history %+v: want attempt 1's failure alone", a.History)
	}
	return a
}

// A failed attempt's retry waits in the leader's backoff heap until its
// backoff ends, then goes to the ready queue and is placed, once.
func TestFailedAttemptRetryPlacedOnceItsBackoffEnds(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	w := registerWorker(t, root, "w", 1, nil)
	ids := submit(t, st, 1, func(_ int, task *store.Task) { task.Retries = 2 })
	drovertest.WaitFor(t, 10*time.Second, "attempt 1 placed", func() bool { return len(w.assignments(t)) == 1 })
	notBefore := w.fail(t, store.AssignmentName(ids[0], 1), 1500*time.Millisecond)
	checkRetryPlaced(t, st, w, ids[0], notBefore)
	if n := s.Stats().Placed; n != 2 {
		t.Fatalf("%d placements, want 2 (attempts 1 and 2)", n)
	}
	w.finish(t, store.AssignmentName(ids[0], 2))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if got, err := st.WaitResult(ctx, ids[0]); err != nil || got.State != store.StateSucceeded {
		t.Fatalf("result %+v, %v", got, err)
	}
}

// A retry still in its backoff when the leader changes is read by the next
// leader with the backoff that is left: it is not placed before the backoff
// ends, and is placed then, once, by the new leader.
func TestFailedAttemptBackoffHonouredAcrossTakeover(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s1, stop1 := runScheduler(t, drovertest.OpenStore(t, root), "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
	s2, _ := runScheduler(t, drovertest.OpenStore(t, root), "s2")
	w := registerWorker(t, root, "w", 1, nil)
	ids := submit(t, st, 1, func(_ int, task *store.Task) { task.Retries = 2 })
	drovertest.WaitFor(t, 10*time.Second, "attempt 1 placed", func() bool { return len(w.assignments(t)) == 1 })
	notBefore := w.fail(t, store.AssignmentName(ids[0], 1), 5*time.Second)
	// s1 holds the retry in its backoff heap as its term ends.
	drovertest.WaitFor(t, 10*time.Second, "s1 sees the retry", func() bool { return s1.Stats().Queued["normal"] == 1 })
	stop1()
	drovertest.WaitFor(t, 10*time.Second, "s2 leads", s2.IsLeader)
	drovertest.WaitFor(t, 10*time.Second, "s2 sees the retry", func() bool { return s2.Stats().Queued["normal"] == 1 })
	if !time.Now().Before(notBefore) {
		t.Fatalf("the takeover took past the backoff's end: the case was not tried")
	}
	a := checkRetryPlaced(t, st, w, ids[0], notBefore)
	if a.Epoch != s2.Epoch() {
		t.Fatalf("attempt 2 placed in epoch %d, want s2's %d", a.Epoch, s2.Epoch())
	}
	if n := s2.Stats().Placed; n != 1 {
		t.Fatalf("s2 made %d placements, want 1", n)
	}
}
