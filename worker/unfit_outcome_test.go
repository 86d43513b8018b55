package worker

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// An assignment whose record decodes but whose next attempt can never be
// queued (an attempt number no Drover writes, set by hand: the empty writes
// that make its queue item at its version, store.EnqueuedVersionOf, outgrow
// one request) must not hold its worker's slot for good. The leader, meeting
// such a record when it withdraws an attempt, moves it to deadletter
// (recoverAttempt); the worker only logs "cannot encode the outcome" and
// leaves the assignment where it is: the task shows running for ever, a
// wait on it never ends, and the slot stays taken until the worker
// restarts.
func TestOutcomeThatCannotBeQueuedDoesNotHoldTheSlot(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", nil)
	bad := &store.Task{Cmd: []string{"false"}, Retries: 1, Attempt: 100_000}
	p := assign(t, st, w, bad)
	drovertest.WaitFor(t, 15*time.Second, "the unreportable assignment gone from the worker's directory", func() bool {
		return !exists(t, st, p)
	})
	kids, err := st.Children(st.Layout().Deadletter())
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) == 0 && !exists(t, st, st.Layout().Result(bad.ID)) {
		t.Fatal("the assignment went, but to neither deadletter nor a result: its record is lost")
	}
}
