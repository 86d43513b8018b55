package scheduler

import (
	"errors"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview149UnstartedFirstAttemptKeepsItsStartingDeadline: a slot's
// task (start_by set) placed in time on a worker that is lost before it
// marks the attempt running never started: recoverAttempt now records
// attempt 1 as unstarted (the history says so) and queues attempt 2. But
// StartByBinds holds only for attempt 1, so attempt 2 is no longer bound
// by the starting deadline, and the slot starts for the first time past
// it, on the spare worker, however late ("--starting-deadline D: never
// start a slot more than D after its time"). Before f0892ff the attempt
// was lost (it may have run: a rerun is at-least-once); now the record
// itself says the slot never started. Expected: the task ends cancelled,
// "not started by its starting deadline" (or attempt 2 keeps the bound),
// not placed past its start_by.
func TestReview149UnstartedFirstAttemptKeepsItsStartingDeadline(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	doomed := registerWorker(t, root, "doomed", 4, nil)
	now := time.Now().UTC()
	// Placed in time (by hand, as the leader would have), its deadline
	// passed while it waited on doomed for a slot.
	slot := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: now.Add(-time.Minute), Attempt: 1,
		StartBy: now.Add(-time.Second)}
	assignByHand(t, doomed, slot)
	runScheduler(t, st, "s1")
	doomed.st.Close()
	spare := registerWorker(t, root, "spare", 4, nil)
	var res *store.Task
	drovertest.WaitFor(t, 20*time.Second, "the task placed on spare or ended", func() bool {
		if len(spare.assignments(t)) > 0 {
			return true
		}
		data, _, err := st.Get(lay.Result(slot.ID))
		if errors.Is(err, store.ErrNoNode) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		if res, err = store.DecodeTask(data); err != nil {
			t.Fatal(err)
		}
		return true
	})
	if res == nil {
		_, r, _ := spare.read(t, spare.assignments(t)[0])
		t.Fatalf("slot task whose first attempt never started (history %+v) placed as attempt %d past its start_by %v: the slot starts after its starting deadline",
			r.History, r.Attempt, slot.StartBy)
	}
	if res.State != store.StateCancelled || res.Error != store.NotStartedInTime {
		t.Fatalf("ended %s (%q): want cancelled, %q", res.State, res.Error, store.NotStartedInTime)
	}
}
