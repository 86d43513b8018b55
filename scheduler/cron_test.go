package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/oklog/ulid/v2"
)

func addSchedule(t *testing.T, st *store.Store, rec *store.Schedule) {
	t.Helper()
	if rec.Task.Cmd == nil {
		rec.Task.Cmd = []string{"true"}
	}
	if rec.Catchup == "" {
		rec.Catchup = store.CatchupNone
	}
	rec.CreatedAt = time.Now().UTC()
	rec.KeepSucceeded, rec.KeepFailed = 10, 10
	data, err := store.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(st.Layout().Schedule(rec.Name), data); err != nil {
		t.Fatal(err)
	}
}

func readSchedule(t *testing.T, st *store.Store, name string) *store.Schedule {
	t.Helper()
	data, _, err := st.Get(st.Layout().Schedule(name))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.DecodeSchedule(data)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestScheduleForbidSkipsWhileActive(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 4, nil) // holds what it gets: runs never end
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid})
	drovertest.WaitFor(t, 10*time.Second, "two slots skipped", func() bool { return len(readSchedule(t, st, "tick").Skipped) >= 2 })
	if got := w.assignments(t); len(got) != 1 {
		t.Fatalf("forbid let %d runs start: %v", len(got), got)
	}
	rec := readSchedule(t, st, "tick")
	if len(rec.Active) != 1 || rec.Fired != 1 {
		t.Fatalf("active %v fired %d", rec.Active, rec.Fired)
	}
}

func TestScheduleReplaceCancelsPrevious(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "w", 4, nil)
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Concurrency: store.ConcurrencyReplace})
	drovertest.WaitFor(t, 10*time.Second, "a run replaced", func() bool {
		rec := readSchedule(t, st, "tick")
		return len(rec.Failed) >= 1 && len(rec.Active) == 1
	})
	rec := readSchedule(t, st, "tick")
	first := rec.Failed[0]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := st.WaitResult(ctx, first.Task)
	if err != nil || res.State != store.StateCancelled || first.State != store.StateCancelled {
		t.Fatalf("replaced run %+v: result %+v %v", first, res, err)
	}
}

// A run whose result was pruned before the leader saw its outcome does not
// keep a forbid schedule from firing for ever.
func TestScheduleForbidForgetsRunThatIsGone(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "w", 4, nil)
	gone := store.ScheduleRun{Slot: time.Now().Add(-48 * time.Hour).UTC(), Task: ulid.Make().String()}
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		Active: []store.ScheduleRun{gone}})
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "a slot fired", func() bool { return readSchedule(t, st, "tick").Fired >= 1 })
	rec := readSchedule(t, st, "tick")
	for _, r := range rec.Active {
		if r.Task == gone.Task {
			t.Fatalf("the gone run is still active: %+v", rec.Active)
		}
	}
}

func TestSchedulePausedFiresNothing(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Suspended: true})
	addSchedule(t, st, &store.Schedule{Name: "witness", Cron: "* * * * * *"})
	drovertest.WaitFor(t, 10*time.Second, "witness fires twice", func() bool { return readSchedule(t, st, "witness").Fired >= 2 })
	if rec := readSchedule(t, st, "tick"); rec.Fired != 0 {
		t.Fatalf("a suspended schedule fired %d times", rec.Fired)
	}
}

func TestMalformedScheduleIsQuarantined(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	if err := st.Create(st.Layout().Schedule("junk"), []byte(`{"v":1,"name":"junk","cron":"not a spec","task":{"cmd":["x"]}}`)); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "junk moved to deadletter", func() bool {
		ok, _, err := st.Exists(st.Layout().Schedule("junk"))
		return err == nil && !ok
	})
	addSchedule(t, st, &store.Schedule{Name: "ok", Cron: "* * * * * *"})
	drovertest.WaitFor(t, 10*time.Second, "the leader still fires", func() bool { return readSchedule(t, st, "ok").Fired >= 1 })
}

// The buckets of a schedule's next slot are made before the slot comes, so
// that firing it is one transaction; two schedules share them.
func TestScheduleSlotBucketsMadeAhead(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1") // no worker: the runs stay queued, and so their buckets
	names := []string{"tick", "tock"}
	for _, name := range names {
		addSchedule(t, st, &store.Schedule{Name: name, Cron: "* * * * * *", Concurrency: store.ConcurrencyAllow})
	}
	drovertest.WaitFor(t, 10*time.Second, "three slots fired each", func() bool {
		return readSchedule(t, st, "tick").Fired >= 3 && readSchedule(t, st, "tock").Fired >= 3
	})
	for _, name := range names {
		rec := readSchedule(t, st, name)
		// The first slot may have come before the leader read the schedule.
		for _, r := range rec.Active[1:] {
			b1, b2 := store.Bucket(r.Task)
			for _, dir := range []string{st.Layout().QueueBucket(b1, b2), st.Layout().ResultBucket(b1, b2)} {
				ok, stat, err := st.Exists(dir)
				if err != nil || !ok {
					t.Fatalf("%s: bucket %s of slot %v: exists=%v err=%v", name, dir, r.Slot, ok, err)
				}
				if !stat.Ctime.Before(r.Slot) {
					t.Errorf("%s: bucket %s of slot %v made at %v, not before it", name, dir, r.Slot, stat.Ctime)
				}
			}
		}
	}
}
