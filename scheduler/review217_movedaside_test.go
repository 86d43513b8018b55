package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// README, submit --after: a task waits "until each of those tasks has
// ended succeeded ...; when one ... is found nowhere (its result pruned by
// retention, or moved aside), it ends cancelled". ARCHITECTURE (after.go):
// "a pruned or a moved-aside task's waiters do not wait for good". A task
// waited for that the leader itself moves aside once its waiter is held
// (queued, but too large to assign: moved to deadletter at its placement)
// never gets a result, so the watch on its result never fires, and the
// waiter's look is not made again: it is held for the rest of the term.
func TestReview217DependencyMovedAsideMidTermEndsWaiters(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	big := enqueueTooLarge(t, st) // no worker yet: not placed
	b := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{big} })[0]
	drovertest.WaitFor(t, 15*time.Second, "the waiter held", func() bool { return s.Stats().Held == 1 })
	registerWorker(t, root, "w", 4, nil)
	drovertest.WaitFor(t, 15*time.Second, "the large task moved aside", func() bool {
		ok, _, err := st.Exists(st.Layout().QueueItem(big))
		return err == nil && !ok
	})
	var res *store.Task
	drovertest.WaitFor(t, 15*time.Second, "task "+b+", after "+big+" (moved to deadletter), ended cancelled: not found", func() bool {
		res = result(t, st, b)
		return res != nil
	})
	if want := store.DependencyFailed(big, "not found (its result pruned, or moved aside)"); res.State != store.StateCancelled || res.Error != want {
		t.Fatalf("task %s ended %s (%q), want cancelled (%q)", b, res.State, res.Error, want)
	}
}

// As above, the record moved aside by the worker: a worker moves an
// assignment whose running mark or outcome cannot be written to deadletter
// (worker.moveAside), with no result. The leader sees the assignment leave
// the worker's directory, and the waiter stays held for the term.
func TestReview217DependencyMovedAsideByItsWorkerEndsWaiters(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 4, nil)
	runScheduler(t, st, "s1")
	a := submit(t, st, 1, nil)[0]
	b := submit(t, st, 1, func(_ int, task *store.Task) { task.After = []string{a} })[0]
	name := w.placedName(t, a)
	w.held(t, st, b)
	p := st.Layout().WorkerTasks(w.id) + "/" + name
	data, stat, err := w.st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	// As the worker does (worker.go, attempt and report).
	if err := w.st.Quarantine(p, data, stat.Version, fmt.Errorf("%w: its running mark cannot be written", store.ErrMalformed)); err != nil {
		t.Fatal(err)
	}
	var res *store.Task
	drovertest.WaitFor(t, 15*time.Second, "task "+b+", after "+a+" (its assignment moved to deadletter by its worker), ended cancelled: not found", func() bool {
		res = result(t, st, b)
		return res != nil
	})
	if want := store.DependencyFailed(a, "not found (its result pruned, or moved aside)"); res.State != store.StateCancelled || res.Error != want {
		t.Fatalf("task %s ended %s (%q), want cancelled (%q)", b, res.State, res.Error, want)
	}
}
