package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// README: "--starting-deadline D: never start a slot more than D after its
// time". The deadline is only weighed when the leader fires the slot: a slot
// task enqueued on time waits in the queue while no worker can take it (all
// busy, none with its labels, none up), and starts whenever one comes, however
// long after its slot. A job migrated with "do not run it if it cannot start
// within D" runs late all the same.
func TestSlotTaskDoesNotStartPastItsStartingDeadline(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	const deadline = time.Second
	// forbid: one slot's task is queued, the later slots are skipped beside it.
	addSchedule(t, st, &store.Schedule{Name: "late", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		StartingDeadline: store.MillisOf(deadline)})
	drovertest.WaitFor(t, 10*time.Second, "a slot fired", func() bool { return readSchedule(t, st, "late").Fired >= 1 })
	run := readSchedule(t, st, "late").Active[0]
	// No worker until the deadline has long passed.
	drovertest.WaitFor(t, 10*time.Second, "3 s past the slot", func() bool { return time.Since(run.Slot) > 3*deadline })
	w := registerWorker(t, root, "w", 1, nil)
	var placed []string
	drovertest.WaitFor(t, 10*time.Second, "the slot's task placed or ended", func() bool {
		placed = w.assignments(t)
		ok, _, err := st.Exists(st.Layout().Result(run.Task))
		if err != nil {
			t.Fatal(err)
		}
		return len(placed) > 0 || ok
	})
	for _, name := range placed {
		if id, _, err := store.ParseAssignmentName(name); err == nil && id == run.Task {
			t.Fatalf("slot %v's task %s started %v after its slot, past its starting deadline of %v",
				run.Slot.Format(time.RFC3339), run.Task, time.Since(run.Slot).Round(100*time.Millisecond), deadline)
		}
	}
}
