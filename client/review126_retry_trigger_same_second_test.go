package client

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// rerunOf (12dbb48) leaves a run its schedule's record no longer names
// untracked when its slot is before the record's CreatedAt: "its slots and
// triggers all come after its creation". But CreatedAt is ZooKeeper's time
// to the millisecond, and the slot rerunOf compares is DROVER_SLOT, whole
// seconds: a trigger of the schedule in the second it was added (a script's
// `schedule add` then `schedule trigger`) has a slot truncated to before
// CreatedAt. Once its run has left the bounded record (trimmed from the
// active runs and the history), `drover retry` of it is no longer taken as
// the schedule's run: forbid and replace do not see it and its outcome is
// not filed, though it is this very schedule's run. (Found by review126.)
func TestReview126RetryOfATriggerInTheSecondOfCreationIsTracked(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := New(st)
	var name, a string
	for try := 0; try < 5 && a == ""; try++ {
		// Early in a second, so that the add and the trigger share it.
		drovertest.WaitFor(t, 3*time.Second, "the start of a second", func() bool { return time.Now().Nanosecond() < 300e6 })
		name = fmt.Sprintf("job%d", try)
		rec, err := c.AddSchedule(ScheduleSpec{Name: name, Cron: "0 0 * * *", Suspend: true, KeepFailed: 1,
			Concurrency: store.ConcurrencyForbid, Task: TaskSpec{Cmd: []string{"true"}}})
		if err != nil {
			t.Fatal(err)
		}
		id, err := c.TriggerSchedule(name)
		if err != nil {
			t.Fatal(err)
		}
		task, _, err := st.LookupTask(id)
		if err != nil {
			t.Fatal(err)
		}
		if task.Env["DROVER_SLOT"] == fmt.Sprint(rec.CreatedAt.Unix()) && rec.CreatedAt.Nanosecond() != 0 {
			a = id
		}
	}
	if a == "" {
		t.Fatal("no trigger fell in the second of its schedule's creation in 5 tries")
	}
	// The run is cancelled; later triggers push it out of the record.
	if _, err := c.Cancel(a); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < store.MaxActiveRuns+12; i++ {
		id, err := c.TriggerSchedule(name)
		if err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			if _, err := c.Cancel(id); err != nil {
				t.Fatal(err)
			}
		}
	}
	rec, _, err := c.readSchedule(name)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Tracks(a) {
		t.Fatalf("set-up: %s's record still names run %s", name, a)
	}
	if _, err := c.Retry(a); err != nil {
		t.Fatal(err)
	}
	if rec, _, err = c.readSchedule(name); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rec.Active, func(r store.ScheduleRun) bool { return r.Task == a }) {
		t.Errorf("drover retry of %s, a trigger of schedule %s made after its creation (created %s, DROVER_SLOT %d), "+
			"is not tracked again: its slot, to the second, is before CreatedAt, to the millisecond",
			a, name, rec.CreatedAt.Format(time.RFC3339Nano), rec.CreatedAt.Unix())
	}
}
