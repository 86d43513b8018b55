package client

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestRetryOfARemovedSchedulesRunIsNotTheNewSchedulesRun: `schedule rm`
// then `schedule add` of the same name is how a schedule is edited (add
// refuses a name taken: "remove it first"), and README promises that
// nothing of the removed schedule writes itself over the new one. But
// `drover retry` of a run of the removed schedule finds "its" schedule by
// DROVER_SCHEDULE, the name alone (client.rerunOf), and puts the old run
// into the new schedule's active runs (store.Schedule.Rerun). The old
// command then counts as the new schedule's run: under forbid every slot
// of the new schedule is skipped "previous run still active" while the
// old schedule's task runs, and its outcome is filed in the new
// schedule's history.
func TestRetryOfARemovedSchedulesRunIsNotTheNewSchedulesRun(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := New(st)
	holdingWorker(t, root, "w")
	runLeader(t, root)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "job", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		Task: TaskSpec{Cmd: []string{"echo", "old"}}}); err != nil {
		t.Fatal(err)
	}
	var a string
	drovertest.WaitFor(t, 10*time.Second, "the old schedule's first run placed", func() bool {
		for id := range held(t, st, "w") {
			a = id
			return true
		}
		return false
	})
	endAssignment(t, st, "w", held(t, st, "w")[a], false)

	// The operator edits the schedule: rm, then add again (paused, so
	// that nothing fires before the retry below).
	if err := c.RemoveSchedule(context.Background(), "job"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "job", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		Suspend: true, Task: TaskSpec{Cmd: []string{"echo", "new"}}}); err != nil {
		t.Fatal(err)
	}
	// ... and retries yesterday's failed run of the old schedule.
	if _, err := c.Retry(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the retried old run placed", func() bool { _, ok := held(t, st, "w")[a]; return ok })
	rec, _, err := c.readSchedule("job")
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(rec.Active, func(r store.ScheduleRun) bool { return r.Task == a }) {
		t.Errorf("the new schedule tracks %s, a run of the schedule removed before it (command %v): active %v",
			a, rec.Task.Cmd, rec.Active)
	}

	// Resumed, the new schedule (forbid, none of its own runs active)
	// must fire its slots.
	if _, err := c.ResumeSchedule(context.Background(), "job"); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	drovertest.WaitFor(t, 10*time.Second, "slots after the resume handled", func() bool {
		if rec, _, err = c.readSchedule("job"); err != nil {
			t.Fatal(err)
		}
		return rec.LastSlot.After(resumed.Add(2 * time.Second))
	})
	if rec.Fired == 0 {
		t.Errorf("the new schedule fired nothing: its slots were skipped for the old schedule's run %s: skipped %v",
			a, rec.Skipped)
	}
}
