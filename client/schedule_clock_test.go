package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// runLeader starts a scheduler on root and waits until it leads.
func runLeader(t *testing.T, root string) *scheduler.Scheduler {
	t.Helper()
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: drovertest.OpenStore(t, root), Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler s1", s.Run)
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", func() bool { return s.Stats().Leader })
	return s
}

// A `schedule resume` from a host whose clock is an hour ahead fires the
// next slots. It wrote that hour into the record's last slot, and the
// leader, which plans from it, fired none of the slots of the next hour and
// recorded none as missed: a per-second schedule stayed silent for an hour.
// The resume is stamped with ZooKeeper's clock now.
func TestResumeFromAClientClockAheadFiresTheNextSlots(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := New(st)
	runLeader(t, root)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "tick", Cron: "* * * * * *", Suspend: true, Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Now().Add(time.Hour) } // this host's clock
	if _, err := c.ResumeSchedule(context.Background(), "tick"); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	drovertest.WaitFor(t, 8*time.Second, "a slot after the resume fired", func() bool {
		rec, _, err := c.readSchedule("tick")
		if err != nil {
			t.Fatal(err)
		}
		return rec.Fired > 0
	})
	if rec, _, _ := c.readSchedule("tick"); rec.LastSlot.After(resumed.Add(time.Minute)) {
		t.Errorf("last slot %v, an hour after the resume", rec.LastSlot)
	}
}

// A `schedule add --catchup all` from a host whose clock is an hour behind
// fires no slot from before the add. Its created_at was an hour old, and
// the leader took the hour before the schedule existed for slots missed
// while no leader ran and fired the newest 100 (MaxCatchup) per-second
// slots of it at once. The add is stamped with ZooKeeper's clock now.
func TestAddFromAClientClockBehindFiresNoSlotBeforeTheAdd(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := New(st)
	c.now = func() time.Time { return time.Now().Add(-time.Hour) } // this host's clock
	runLeader(t, root)
	added := time.Now()
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "tick", Cron: "* * * * * *", Catchup: store.CatchupAll, Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	var rec *store.Schedule
	drovertest.WaitFor(t, 8*time.Second, "a slot fired", func() bool {
		var err error
		if rec, _, err = c.readSchedule("tick"); err != nil {
			t.Fatal(err)
		}
		return rec.Fired > 0
	})
	var early []time.Time
	for _, r := range rec.Active {
		if r.Slot.Before(added.Add(-time.Second)) {
			early = append(early, r.Slot)
		}
	}
	if len(early) > 0 {
		t.Fatalf("added at %v: fired %d slots, %d of them before the add (oldest %v)", added.UTC(), rec.Fired, len(early), early[0])
	}
}

// An @every schedule's slots fall every interval from its creation
// (PlanSlots, NextSlot: "on the schedule's grid"), and a trigger or a
// resume keeps them there: an `@every 1h` schedule made at 10:00, paused,
// and resumed at 10:45:17 next runs at 11:00. A resume moved its last slot
// to the resume's time, and with it every later slot (11:45:17).
func TestResumeKeepsAnEverySchedulesGrid(t *testing.T) {
	c, _ := newClient(t)
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return t0 }
	c.zkNow = func() (time.Time, error) { return t0, nil }
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "hourly", Cron: "@every 1h", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PauseSchedule(context.Background(), "hourly"); err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return t0.Add(45*time.Minute + 17*time.Second) }
	c.zkNow = func() (time.Time, error) { return c.now(), nil }
	rec, err := c.ResumeSchedule(context.Background(), "hourly")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Schedule(context.Background(), "hourly")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := scheduler.ParseSpec(rec.Cron, rec.TZ)
	if err != nil {
		t.Fatal(err)
	}
	// What the leader fires a second after the grid's next slot.
	plan := scheduler.PlanSlots(spec, rec, t0.Add(time.Hour+time.Second))
	if want := t0.Add(time.Hour); !info.Next.Equal(want) || len(plan.Fire) != 1 || !plan.Fire[0].Equal(want) {
		t.Errorf("resumed at 10:45:17: next %v, fired at 11:00:01 %v; want the grid's slot %v", info.Next, plan.Fire, want)
	}
}

// A `schedule trigger` from a host whose clock is an hour ahead stamps its
// run (the schedule's active run, DROVER_SLOT) with ZooKeeper's time, as
// the leader stamps its slots: it put the run an hour after the slots the
// leader fired meanwhile.
func TestTriggerFromAClientClockAheadIsStampedWithZooKeepersTime(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := New(st)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "job", Cron: "0 0 1 1 *", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Now().Add(time.Hour) } // this host's clock
	id, err := c.TriggerSchedule(context.Background(), "job")
	if err != nil {
		t.Fatal(err)
	}
	real := time.Now()
	rec, _, err := c.readSchedule("job")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Active) != 1 || rec.Active[0].Task != id {
		t.Fatalf("active runs %+v, want the trigger's %s", rec.Active, id)
	}
	if slot := rec.Active[0].Slot; slot.After(real.Add(time.Minute)) {
		t.Errorf("triggered run's slot %v, an hour after ZooKeeper's now (%v)", slot, real)
	}
	task, _, err := st.LookupTask(id)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := task.Env["DROVER_SLOT"], fmt.Sprint(rec.Active[0].Slot.Unix()); got != want {
		t.Errorf("DROVER_SLOT %s, want the run's slot %s", got, want)
	}
}
