package store_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestScheduleRemovalLeavesATombstone: removing a schedule writes a
// tombstone over its record, and adding the name again writes over the
// tombstone, so a write at a version read before the removal fails. With no
// leader running, nobody deletes the tombstone.
func TestScheduleRemovalLeavesATombstone(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	p := st.Layout().Schedule("nightly")
	if err := st.EnsurePath(st.Layout().Schedules()); err != nil {
		t.Fatal(err)
	}
	rec := func(cmd string) *store.Schedule {
		return &store.Schedule{Name: "nightly", Cron: "@daily", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
			Task: store.Task{Cmd: []string{cmd}}, CreatedAt: time.Now().UTC(), KeepSucceeded: 1, KeepFailed: 1}
	}
	// A record its reader would refuse, and the leader move aside, is not
	// written: no command, a policy misspelt.
	noCmd, badPolicy := rec(""), rec("x")
	noCmd.Task.Cmd, badPolicy.Catchup = nil, "Last"
	for _, bad := range []*store.Schedule{noCmd, badPolicy} {
		if err := st.AddSchedule(bad); !errors.Is(err, store.ErrMalformed) {
			t.Fatalf("added %+v: %v, want ErrMalformed", bad, err)
		}
	}
	if ok, _, err := st.Exists(p); err != nil || ok {
		t.Fatalf("a refused schedule was written: %v %v", ok, err)
	}
	if err := st.AddSchedule(rec("old")); err != nil {
		t.Fatal(err)
	}
	if err := st.AddSchedule(rec("new")); !errors.Is(err, store.ErrScheduleExists) {
		t.Fatalf("added over a schedule: %v, want ErrScheduleExists", err)
	}
	_, stale, err := st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveSchedule("nightly"); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveSchedule("nightly"); !errors.Is(err, store.ErrNoSchedule) {
		t.Fatalf("removed twice: %v, want ErrNoSchedule", err)
	}
	if err := st.RemoveSchedule("never"); !errors.Is(err, store.ErrNoSchedule) {
		t.Fatalf("removed a name never added: %v, want ErrNoSchedule", err)
	}
	if err := st.AddSchedule(rec("new")); err != nil {
		t.Fatal(err)
	}
	data, stat, err := st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := store.DecodeSchedule(data); err != nil || got.Removed || got.Task.Cmd[0] != "new" {
		t.Fatalf("added again: %+v, %v", got, err)
	}
	if stat.Version != stale.Version+2 {
		t.Fatalf("added again at version %d, want %d (the removal's, and then its own)", stat.Version, stale.Version+2)
	}
	if _, err := st.Set(p, data, stale.Version); !errors.Is(err, store.ErrBadVersion) {
		t.Fatalf("a write at the version read before the removal: %v, want ErrBadVersion", err)
	}
}

// TestRemovingAnUnreadableScheduleLeavesATombstone: a record that does not
// decode is still removed, and holds its name until it is.
func TestRemovingAnUnreadableScheduleLeavesATombstone(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	p := st.Layout().Schedule("junk")
	if err := st.EnsurePath(p); err != nil {
		t.Fatal(err)
	}
	good := &store.Schedule{Name: "junk", Cron: "@daily", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
		Task: store.Task{Cmd: []string{"true"}}, CreatedAt: time.Now().UTC()}
	if err := st.AddSchedule(good); !errors.Is(err, store.ErrScheduleExists) {
		t.Fatalf("added over an unreadable record: %v, want ErrScheduleExists", err)
	}
	if err := st.RemoveSchedule("junk"); err != nil {
		t.Fatal(err)
	}
	if err := st.AddSchedule(good); err != nil {
		t.Fatal(err)
	}
}

// TestSchedulesDirectoryIsBounded: an add that would take the schedules
// directory's listing past its bound is refused, by this store and by
// another that reads the listing afresh; a name listed already (a
// tombstone) can be added again.
func TestSchedulesDirectoryIsBounded(t *testing.T) {
	defer store.SetMaxScheduleListing(2 * (2 + 4))() // two names of 2 bytes (a listing is read beyond one name)
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	rec := func(name string) *store.Schedule {
		return &store.Schedule{Name: name, Cron: "@daily", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
			Task: store.Task{Cmd: []string{"true"}}, CreatedAt: time.Now().UTC()}
	}
	for _, name := range []string{"s1", "s2"} {
		if err := st.AddSchedule(rec(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddSchedule(rec("s3")); !errors.Is(err, store.ErrTooManySchedules) {
		t.Fatalf("a third name: %v, want ErrTooManySchedules", err)
	}
	if err := drovertest.OpenStore(t, root).AddSchedule(rec("s3")); !errors.Is(err, store.ErrTooManySchedules) {
		t.Fatalf("a third name, from another store: %v, want ErrTooManySchedules", err)
	}
	if err := st.RemoveSchedule("s2"); err != nil {
		t.Fatal(err)
	}
	if err := st.AddSchedule(rec("s2")); err != nil {
		t.Fatalf("a removed name added again: %v", err)
	}
	if err := st.RemoveSchedule("s2"); err != nil {
		t.Fatal(err)
	}
	if err := drovertest.OpenStore(t, root).AddSchedule(rec("s2")); err != nil {
		t.Fatalf("a removed name added again by another store: %v", err)
	}
}

// EncodeFit keeps a record within the bound DecodeSchedule reads it by,
// dropping the oldest runs of its history, whichever list holds them, and
// only as many as it must; active runs stay, and a record with no history
// to drop is refused, ErrTooLarge.
func TestEncodeFitDropsTheOldestRuns(t *testing.T) {
	at := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	run := func(h int, state store.State) store.ScheduleRun {
		return store.ScheduleRun{Slot: at.Add(time.Duration(h) * time.Hour), Task: "01M87N42QDW6A5132CYFVGQTV0", State: state}
	}
	rec := &store.Schedule{Name: "edge", Cron: "@hourly", CreatedAt: at, KeepSucceeded: 10, KeepFailed: 10,
		Task:      store.Task{Cmd: []string{"true"}},
		Active:    []store.ScheduleRun{run(0, "")},
		Succeeded: []store.ScheduleRun{run(2, store.StateSucceeded), run(5, store.StateSucceeded)},
		Failed:    []store.ScheduleRun{run(1, store.StateFailed), run(4, store.StateFailed)},
		Skipped:   []store.ScheduleRun{run(3, "")}}
	drovertest.PadToFiringBound(t, rec, 10)
	skip := run(6, "")
	skip.Reason = "skipped: previous run still active" // 114 bytes more, one of the oldest runs 85: two make room
	rec.Record(skip)
	data, err := rec.EncodeFit()
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.DecodeSchedule(data)
	if err != nil {
		t.Fatalf("EncodeFit wrote a record its reader refuses: %v", err)
	}
	if len(got.Active) != 1 || len(got.Failed) != 1 || len(got.Succeeded) != 1 || len(got.Skipped) != 2 ||
		!got.Failed[0].Slot.Equal(run(4, "").Slot) || !got.Succeeded[0].Slot.Equal(run(5, "").Slot) {
		t.Fatalf("active %v, failed %v, succeeded %v, skipped %v: want the runs of hours 1 and 2 dropped",
			got.Active, got.Failed, got.Succeeded, got.Skipped)
	}
	bare := &store.Schedule{Name: "bare", Cron: "@hourly", CreatedAt: at, Task: store.Task{Cmd: []string{"true"}},
		Active: []store.ScheduleRun{run(0, "")}}
	drovertest.PadToFiringBound(t, bare, 10)
	bare.Task.Name = "a name of 16 bytes" // counted twice: in the record and in the template
	if _, err := bare.EncodeFit(); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("a record past the bound with no history: %v, want ErrTooLarge", err)
	}
}

// A record's firing state (its active runs, last slot, count of slots
// fired and pause) counts for none of its weight: a record at the bound
// with no history keeps MaxActiveRuns runs as a trigger writes them (each
// slot to the nanosecond, with a reason), its last slot, a count of slots
// fired of 19 digits and its pause, in records its reader keeps.
// Weighed with the record, the run a firing added had no room: a schedule
// at the bound with no history never fired. (Found by review.)
func TestFiringStateWeighsNothing(t *testing.T) {
	at := time.Date(2026, 12, 3, 0, 0, 0, 123456789, time.FixedZone("", 5*3600+1800))
	rec := &store.Schedule{Name: "edge", Cron: "@hourly", CreatedAt: at.UTC(), KeepSucceeded: 10, KeepFailed: 10,
		Task: store.Task{Cmd: []string{"true"}}}
	drovertest.PadToFiringBound(t, rec, 10)
	for i := range store.MaxActiveRuns {
		rec.Active = append(rec.Active, store.ScheduleRun{Slot: at.Add(time.Duration(i) * time.Hour), Task: "01M87N42QDW6A5132CYFVGQTV0", Reason: "triggered"})
	}
	rec.LastSlot, rec.Fired, rec.Suspended = at, math.MaxInt64, true
	data, err := rec.EncodeFit()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.DecodeSchedule(data); err != nil {
		t.Fatalf("a record at the bound, its state grown, is refused by its reader: %v", err)
	}
}
