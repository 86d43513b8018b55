package client

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// An update changes what a schedule runs and when, in place: its history,
// count and creation time stay; a new spec starts from the update, so that
// catch-up all fires none of the new spec's slots before it, and the old
// spec's slots that came due unfired (no leader ran) are filed as missed.
func TestUpdateScheduleKeepsItsPastAndStartsANewSpecFromNow(t *testing.T) {
	c, _ := newClient(t) // no leader runs: the clocks are the test's
	t0 := time.Date(2026, 11, 24, 10, 0, 30, 0, time.UTC)
	at := func(t time.Time) {
		c.now = func() time.Time { return t }
		c.zkNow = func() (time.Time, error) { return t, nil }
	}
	hour := func(h, m int) time.Time { return time.Date(2026, 11, 24, h, m, 0, 0, time.UTC) }
	at(t0)
	spec := ScheduleSpec{Name: "report", Cron: "0 * * * *", Catchup: store.CatchupAll, Task: TaskSpec{Cmd: []string{"./report.sh"}}}
	if _, err := c.AddSchedule(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	rec0, v0, err := c.readSchedule("report")
	if err != nil {
		t.Fatal(err)
	}

	// The same again: nothing written.
	at(t0.Add(10 * time.Minute))
	if _, changed, err := c.UpdateSchedule(context.Background(), spec); err != nil || changed {
		t.Fatalf("update as it is: changed %v, err %v; want unchanged", changed, err)
	}
	if _, v, _ := c.readSchedule("report"); v != v0 {
		t.Fatalf("an update that changed nothing wrote the record (version %d, was %d)", v, v0)
	}

	// The command alone: the slots go on as they were.
	spec.Task.Cmd = []string{"./report.sh", "--full"}
	rec, changed, err := c.UpdateSchedule(context.Background(), spec)
	if err != nil || !changed {
		t.Fatalf("update of the command: changed %v, err %v", changed, err)
	}
	if !slices.Equal(rec.Task.Cmd, spec.Task.Cmd) || !rec.LastSlot.IsZero() || !rec.CreatedAt.Equal(rec0.CreatedAt) {
		t.Fatalf("after the command's update: cmd %q, last slot %v, created %v (was %v)", rec.Task.Cmd, rec.LastSlot, rec.CreatedAt, rec0.CreatedAt)
	}
	s, err := scheduler.ParseSpec(rec.Cron, rec.TZ)
	if err != nil {
		t.Fatal(err)
	}
	if p := scheduler.PlanSlots(s, rec, hour(11, 0).Add(time.Second)); len(p.Fire) != 1 || !p.Fire[0].Equal(hour(11, 0)) {
		t.Fatalf("after the command's update the leader plans %+v at 11:00:01, want 11:00 fired", p)
	}

	// A new spec at 13:20:30, no leader having run: 11:00, 12:00 and 13:00
	// of the old spec are missed; the new one's 13:15 is not caught up.
	at(t0.Add(3*time.Hour + 20*time.Minute))
	spec.Cron = "*/15 * * * *"
	if rec, changed, err = c.UpdateSchedule(context.Background(), spec); err != nil || !changed {
		t.Fatalf("update of the spec: changed %v, err %v", changed, err)
	}
	var missed []time.Time
	for _, r := range rec.Skipped {
		if r.Reason == MissedUpdated {
			missed = append(missed, r.Slot)
		}
	}
	if want := []time.Time{hour(11, 0), hour(12, 0), hour(13, 0)}; !slices.EqualFunc(missed, want, time.Time.Equal) {
		t.Errorf("missed %v, want %v", missed, want)
	}
	if s, err = scheduler.ParseSpec(rec.Cron, rec.TZ); err != nil {
		t.Fatal(err)
	}
	if p := scheduler.PlanSlots(s, rec, hour(13, 30).Add(time.Second)); len(p.Fire) != 1 || !p.Fire[0].Equal(hour(13, 30)) || p.MissedCount != 0 {
		t.Errorf("after the spec's update at 13:20:30 the leader plans %+v at 13:30:01, want 13:30 fired alone", p)
	}
	if rec.Fired != rec0.Fired || !rec.CreatedAt.Equal(rec0.CreatedAt) {
		t.Errorf("fired %d, created %v: want %d, %v as before", rec.Fired, rec.CreatedAt, rec0.Fired, rec0.CreatedAt)
	}

	// --suspend pauses it; an update without it leaves it paused.
	spec.Suspend = true
	if rec, _, err = c.UpdateSchedule(context.Background(), spec); err != nil || !rec.Suspended {
		t.Fatalf("update with suspend: suspended %v, err %v", rec != nil && rec.Suspended, err)
	}
	spec.Suspend = false
	spec.Concurrency = store.ConcurrencyForbid
	if rec, _, err = c.UpdateSchedule(context.Background(), spec); err != nil || !rec.Suspended || rec.Concurrency != store.ConcurrencyForbid {
		t.Fatalf("update of a paused one: %+v, err %v; want it paused, with forbid", rec, err)
	}

	// Smaller history limits trim the history to them.
	spec.KeepFailed = 1
	if rec, _, err = c.UpdateSchedule(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Skipped) != 3 { // skipped and missed runs: at least 10 are kept
		t.Errorf("%d skipped runs kept, want 3", len(rec.Skipped))
	}

	// An invalid spec is refused as add refuses it, and nothing is written.
	_, v1, _ := c.readSchedule("report")
	bad := spec
	bad.Cron = "61 * * * *"
	if _, _, err := c.UpdateSchedule(context.Background(), bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("update to %q: %v, want ErrInvalid", bad.Cron, err)
	}
	if _, v, _ := c.readSchedule("report"); v != v1 {
		t.Errorf("a refused update wrote the record")
	}
}

// An @every schedule given a new interval keeps to its grid, as a resume
// does: the next slot is the grid's first after the update.
func TestUpdateEveryKeepsItsGrid(t *testing.T) {
	c, _ := newClient(t)
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	at := func(t time.Time) {
		c.now = func() time.Time { return t }
		c.zkNow = func() (time.Time, error) { return t, nil }
	}
	at(t0)
	spec := ScheduleSpec{Name: "poll", Cron: "@every 1h", Task: TaskSpec{Cmd: []string{"true"}}}
	if _, err := c.AddSchedule(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	at(t0.Add(70 * time.Minute)) // 11:10: 11:00 came due, unfired
	spec.Cron = "@every 30m"
	rec, changed, err := c.UpdateSchedule(context.Background(), spec)
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	s, err := scheduler.ParseSpec(rec.Cron, rec.TZ)
	if err != nil {
		t.Fatal(err)
	}
	if next := scheduler.NextSlot(s, rec, t0.Add(70*time.Minute)); !next.Equal(t0.Add(90 * time.Minute)) {
		t.Errorf("next slot %v, want 11:30", next)
	}
}

// ApplySchedule adds, then updates, then finds nothing to do; a removed
// schedule's name is added again.
func TestApplySchedule(t *testing.T) {
	c, _ := newClient(t)
	spec := ScheduleSpec{Name: "nightly", Cron: "0 2 * * *", TZ: "Europe/Berlin", Task: TaskSpec{Cmd: []string{"./backup.sh"}}}
	if _, _, err := c.UpdateSchedule(context.Background(), spec); !errors.Is(err, ErrNoSchedule) {
		t.Fatalf("update of no schedule: %v, want ErrNoSchedule", err)
	}
	step := func(want Applied) {
		t.Helper()
		rec, got, err := c.ApplySchedule(context.Background(), spec)
		if err != nil || got != want {
			t.Fatalf("apply: %q, %v; want %q", got, err, want)
		}
		if !slices.Equal(rec.Task.Cmd, spec.Task.Cmd) || rec.Cron != spec.Cron {
			t.Fatalf("apply returned %q %q, want %q %q", rec.Cron, rec.Task.Cmd, spec.Cron, spec.Task.Cmd)
		}
	}
	step(Added)
	step(Unchanged)
	spec.Task.Cmd = []string{"./backup.sh", "/data"}
	step(Updated)
	step(Unchanged)
	if err := c.RemoveSchedule(context.Background(), "nightly"); err != nil {
		t.Fatal(err)
	}
	step(Added)
}

// With a leader firing a per-second schedule, an update of its command
// takes effect at a slot after it, and no slot fires twice.
func TestUpdateUnderALeaderFiresTheNewTemplate(t *testing.T) {
	root := drovertest.NewRoot()
	c := New(drovertest.OpenStore(t, root))
	runLeader(t, root)
	spec := ScheduleSpec{Name: "tick", Cron: "* * * * * *", Task: TaskSpec{Cmd: []string{"echo", "old"}}}
	if _, err := c.AddSchedule(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	read := func() *store.Schedule {
		rec, _, err := c.readSchedule("tick")
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	drovertest.WaitFor(t, 10*time.Second, "two slots fired", func() bool { return read().Fired >= 2 })
	spec.Task.Cmd = []string{"echo", "new"}
	if _, changed, err := c.UpdateSchedule(context.Background(), spec); err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	updated := time.Now()
	var after store.ScheduleRun
	drovertest.WaitFor(t, 10*time.Second, "a slot after the update fired", func() bool {
		for _, r := range read().Active {
			if r.Slot.After(updated.Add(time.Second)) {
				after = r
				return true
			}
		}
		return false
	})
	task, err := c.Status(context.Background(), after.Task)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(task.Cmd, spec.Task.Cmd) {
		t.Errorf("slot %v's task runs %q, want %q", after.Slot, task.Cmd, spec.Task.Cmd)
	}
	seen := map[time.Time]bool{}
	rec := read()
	for _, list := range [][]store.ScheduleRun{rec.Active, rec.Succeeded, rec.Failed, rec.Skipped} {
		for _, r := range list {
			if seen[r.Slot] {
				t.Errorf("slot %v fired twice", r.Slot)
			}
			seen[r.Slot] = true
		}
	}
}

// A schedule's template takes no start time: its slots say when it runs.
func TestScheduleTemplateTakesNoStartTime(t *testing.T) {
	for _, task := range []TaskSpec{{Cmd: []string{"true"}, In: time.Hour}, {Cmd: []string{"true"}, At: time.Now().Add(time.Hour)}} {
		spec := ScheduleSpec{Name: "s", Cron: "@hourly", Task: task}
		if _, err := spec.Record(time.Now()); err == nil || !strings.Contains(err.Error(), "start time") {
			t.Errorf("schedule with a template %+v: %v; want refused", task, err)
		}
	}
}

// A record as an earlier client wrote it (its template of format version 0,
// no catch-up or concurrency policy for the defaults) is as a spec of the
// same settings asks: unchanged, nothing written.
func TestUpdateOfAnEarlierClientsRecordAsAskedIsUnchanged(t *testing.T) {
	c, st := newClient(t)
	rec := &store.Schedule{Name: "old", Cron: "@hourly", CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10,
		Task: store.Task{Name: "old", Cmd: []string{"true"}}}
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
	data, _, err := st.Get(st.Layout().Schedule("old"))
	if err != nil || !strings.Contains(string(data), `"catchup":""`) || !strings.Contains(string(data), `"task":{"v":0,`) {
		t.Fatalf("the record %s (%v) is not in an earlier client's form", data, err)
	}
	_, v0, err := c.readSchedule("old")
	if err != nil {
		t.Fatal(err)
	}
	if _, changed, err := c.UpdateSchedule(context.Background(), ScheduleSpec{Name: "old", Cron: "@hourly", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil || changed {
		t.Fatalf("update as it is of an earlier client's record: changed %v, %v; want unchanged", changed, err)
	}
	if _, v, _ := c.readSchedule("old"); v != v0 {
		t.Errorf("an update that changed nothing wrote the record")
	}
}
