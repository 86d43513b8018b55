package scheduler

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestCatchupLastFiresEverySlotThatIsOnTime: a slot handled up to OnTime
// (2 s) after its time is on time, not missed: catch-up none, which skips
// missed slots, fires it. Catch-up last is meant for more catch-up than
// none ("run the newest" of the slots that fell while no leader ran), yet
// PlanSlots' last branch takes every due slot but the newest for missed,
// late or not. So when a leader's round comes 1.5 s after a slot of a
// per-second schedule (a busy loop: ARCHITECTURE measures 20,000 schedules
// on one slot firing within 3.3 s), the slot before the newest is fired
// by a none schedule and recorded "missed" by a last schedule: choosing
// last loses runs that the default keeps. Here both schedules are due
// with the same two slots, 1.5 s and 0.5 s old, and the leader fires once.
func TestCatchupLastFiresEverySlotThatIsOnTime(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	for _, policy := range []string{store.CatchupNone, store.CatchupLast} {
		addSchedule(t, st, &store.Schedule{Name: policy, Cron: "* * * * * *", Catchup: policy, CreatedAt: t0})
	}
	l := clockedLeader(t, st, &clock)
	late := t0.Add(2500 * time.Millisecond) // slots t0+1s (1.5 s ago) and t0+2s (0.5 s ago)
	clock.Store(&late)
	if err := l.fireDue(); err != nil {
		t.Fatal(err)
	}
	none, last := readSchedule(t, st, store.CatchupNone), readSchedule(t, st, store.CatchupLast)
	if none.Fired != 2 {
		t.Fatalf("catch-up none fired %d of two on-time slots", none.Fired)
	}
	if last.Fired != none.Fired {
		t.Errorf("catch-up last fired %d slots where none fired %d: the slot %v, %v late (within OnTime %v), recorded %+v",
			last.Fired, none.Fired, t0.Add(time.Second), late.Sub(t0.Add(time.Second)), OnTime, last.Skipped)
	}
}
