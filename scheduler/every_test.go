package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// An @every schedule's slots run from its last slot (PlanSlots walks
// s.Next from rec.LastSlot), so the next slot after now is the first of
// last + k x interval past now. Plan.Next is s.Next(now), which for the
// cron library's ConstantDelaySchedule is now + interval (rounded down to
// the second): whenever a plan is made off the schedule's grid (a takeover,
// a view rebuilt, a record rewritten by a trigger), the leader wakes that
// much after each slot for ever, and catch-up none (the default) records
// every later slot as missed.
func TestEveryPlanNextIsItsNextSlot(t *testing.T) {
	every, err := ParseSpec("@every 60s", "")
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	now := last.Add(20 * time.Second) // a takeover 20 s after the last slot
	p := PlanSlots(every, &store.Schedule{Catchup: store.CatchupNone, LastSlot: last}, now)
	if want := last.Add(60 * time.Second); !p.Next.Equal(want) {
		t.Errorf("next %v, want the slot %v (last slot + 60 s)", p.Next, want)
	}
	// The leader's loop: wake at Plan.Next, plan, advance the last slot.
	fired, missed := 0, 0
	at := p.Next
	for range 5 {
		p := PlanSlots(every, &store.Schedule{Catchup: store.CatchupNone, LastSlot: last}, at)
		fired, missed = fired+len(p.Fire), missed+p.MissedCount
		if !p.Last.IsZero() {
			last = p.Last
		}
		at = p.Next
	}
	if fired != 5 || missed != 0 {
		t.Errorf("woken at each Plan.Next: %d slots fired, %d missed; want 5 fired, none missed", fired, missed)
	}
}

// The leader reads an @every schedule 4 s after its creation (as after a
// takeover, or a leader started after the add): it wakes 4 s after each
// slot, and catch-up none, the default, records every slot as missed.
func TestEveryScheduleReadOffItsGridFiresItsSlots(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "w", 4, nil)
	created := time.Now().Truncate(time.Second).Add(-4 * time.Second).UTC()
	addSchedule(t, st, &store.Schedule{Name: "every", Cron: "@every 8s", CreatedAt: created})
	runScheduler(t, st, "s1")
	second := created.Add(16 * time.Second)
	drovertest.WaitFor(t, 30*time.Second, "two slots handled", func() bool {
		return !readSchedule(t, st, "every").LastSlot.Before(second)
	})
	rec := readSchedule(t, st, "every")
	if rec.Fired < 2 || len(rec.Skipped) > 0 {
		t.Fatalf("slots %v and %v: fired %d, skipped %+v; want both fired on time",
			created.Add(8*time.Second), second, rec.Fired, rec.Skipped)
	}
}

// A trigger rewrites an @every schedule's record 4 s after a slot; the
// leader reads it again and plans from then: every later slot is handled
// 4 s late, and missed (catch-up none).
func TestEveryScheduleKeepsItsSlotsAfterATrigger(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "w", 4, nil)
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "every", Cron: "@every 6s"})
	drovertest.WaitFor(t, 15*time.Second, "the first slot fired", func() bool { return readSchedule(t, st, "every").Fired >= 1 })
	first := readSchedule(t, st, "every").LastSlot
	drovertest.WaitFor(t, 10*time.Second, "4 s after the slot", func() bool { return time.Since(first) >= 4*time.Second })
	// What client.TriggerSchedule writes.
	p := st.Layout().Schedule("every")
	data, stat, err := st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.DecodeSchedule(data)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	task := rec.Task.Clone()
	task.ID, task.SubmittedAt, task.Attempt, task.State, task.Gen = ulid.Make().String(), now, 1, store.StateQueued, 0
	task.Env = map[string]string{"DROVER_SCHEDULE": rec.Name, "DROVER_SLOT": fmt.Sprint(now.Unix())}
	rec.Active = append(rec.Active, store.ScheduleRun{Slot: now, Task: task.ID, Reason: "triggered"})
	if data, err = store.Encode(rec); err != nil {
		t.Fatal(err)
	}
	if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Set(p, data, stat.Version)
		return txn.Enqueue(task.Clone())
	}); err != nil {
		t.Fatal(err)
	}
	third := first.Add(12 * time.Second)
	drovertest.WaitFor(t, 30*time.Second, "two more slots handled", func() bool {
		return !readSchedule(t, st, "every").LastSlot.Before(third)
	})
	rec = readSchedule(t, st, "every")
	if rec.Fired < 3 || len(rec.Skipped) > 0 {
		t.Fatalf("slots after the trigger up to %v: fired %d in all, skipped %+v; want each fired on time", third, rec.Fired, rec.Skipped)
	}
}

// NextSlot, which schedule ls shows, is the slot the leader's walk reaches
// next, without the walk: on an @every schedule's grid, and after a last
// slot ahead of now.
func TestNextSlotIsTheWalksNext(t *testing.T) {
	last := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, spec := range []string{"@every 60s", "@every 7s", "@every 1h30m", "*/10 * * * * *", "0 2 * * *", "CRON_TZ=Europe/Berlin 30 2 * * *"} {
		s, err := ParseSpec(spec, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range []*store.Schedule{{LastSlot: last}, {CreatedAt: last.Add(1500 * time.Millisecond)}} {
			for _, d := range []time.Duration{-time.Hour, 0, time.Second, 20 * time.Second, 59 * time.Second, 61 * time.Second, 26 * time.Hour} {
				now := last.Add(d)
				if got, want := NextSlot(s, rec, now), PlanSlots(s, rec, now).Next; !got.Equal(want) {
					t.Errorf("%q from %v at %v: NextSlot %v, the walk's next %v", spec, rec, now, got, want)
				}
			}
		}
	}
}

// A resume counts as last handled the newest slot of an @every schedule's
// grid at or before the resume (its last slot when none fell since), and
// the resume's own time for a cron spec: the slot after it is then the
// grid's next, and none that fell while paused fires.
func TestResumeSlotKeepsToTheGrid(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		spec     string
		rec      store.Schedule
		at, want time.Time
	}{
		{"@every 1h", store.Schedule{CreatedAt: t0}, t0.Add(45 * time.Minute), t0},
		{"@every 1h", store.Schedule{CreatedAt: t0}, t0.Add(3*time.Hour + 10*time.Minute), t0.Add(3 * time.Hour)},
		{"@every 1h", store.Schedule{LastSlot: t0.Add(time.Hour)}, t0.Add(90 * time.Minute), t0.Add(time.Hour)},
		{"@every 1h", store.Schedule{LastSlot: t0}, t0.Add(time.Hour), t0.Add(time.Hour)},
		{"@every 7s", store.Schedule{CreatedAt: t0.Add(1500 * time.Millisecond)}, t0.Add(time.Minute), t0.Add(57 * time.Second)},
		{"0 * * * *", store.Schedule{CreatedAt: t0}, t0.Add(45 * time.Minute), t0.Add(45 * time.Minute)},
	} {
		s, err := ParseSpec(c.spec, "")
		if err != nil {
			t.Fatal(err)
		}
		got := ResumeSlot(s, &c.rec, c.at)
		if !got.Equal(c.want) {
			t.Errorf("%q from %+v resumed at %v: last slot %v; want %v", c.spec, c.rec, c.at, got, c.want)
		}
		resumed := c.rec
		resumed.LastSlot = got
		if plan := PlanSlots(s, &resumed, c.at); len(plan.Fire) != 0 || len(plan.Missed) != 0 {
			t.Errorf("%q resumed at %v: fires %v, misses %v at once; want neither", c.spec, c.at, plan.Fire, plan.Missed)
		}
	}
}
