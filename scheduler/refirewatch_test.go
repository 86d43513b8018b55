package scheduler

import (
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A firing that failed is planned again from a fresh read of its schedule
// (refire). The schedule's watch is still live when its record did not
// change (the firing raced a run's end), and when it did its event is on its
// way: the read must not set a second one, which would fire with the first
// at every change for the rest of the term.
func TestRefireSetsNoSecondWatch(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	addSchedule(t, st, &store.Schedule{Name: "again", Cron: "@yearly"})
	l, _, _ := termOf(t, st)
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	base := st.LiveWatches()
	for range 3 {
		e := l.schedules["again"]
		if e == nil {
			t.Fatal("schedule not in the view")
		}
		if err := l.refire(e); err != nil {
			t.Fatal(err)
		}
	}
	if grown := st.LiveWatches() - base; grown != 0 {
		t.Fatalf("three refires of an unchanged schedule set %d more watches on it", grown)
	}
	if l.schedules["again"] == nil {
		t.Fatal("the refire's read left the schedule out of the view")
	}
}
