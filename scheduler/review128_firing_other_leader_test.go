package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// A firing whose reply was lost is carried to the scheduler's next term
// (32adb40), which counts it if the record is "still as it wrote it": the
// version and fired count it would have reached. But when the firing never
// landed and ANOTHER scheduler led meanwhile and fired the same slot, the
// record reaches exactly that version and count by the other's write: the
// first scheduler, leading again, counts the other's firing as its own.
// drover_schedule_slots_fired_total summed over the schedulers is then 2 for
// the one slot the record says fired. (Found by review128.)
func TestReview128FiringLostUnappliedThenFiredByAnotherIsNotCountedTwice(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreFor(t, px.Addr(), root, 4*time.Second)
	id := hourlySoon(t, st)

	px.FreezeAt([]byte(id)) // a's firing of the slot is sent and never applied (no request before it names the id)
	logs := shownOnFailure(t)
	a, stopA := runScheduler(t, lst, "a", withLog(logs, "a"))
	drovertest.WaitFor(t, 15*time.Second, "a leading", a.IsLeader)
	epoch := a.Epoch()
	drovertest.WaitFor(t, 20*time.Second, "a's firing sent into the freeze", px.Frozen)
	px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "a's session expired (its election znode gone)", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})
	if ok, _, err := st.Exists(st.Layout().QueueItem(id)); err != nil || ok {
		t.Fatalf("the frozen firing landed (%v, %v): the test needs it lost unapplied", ok, err)
	}

	b, stopB := runScheduler(t, st, "b")
	drovertest.WaitFor(t, 30*time.Second, "b fired the slot a lost", func() bool {
		ok, _, err := st.Exists(st.Layout().QueueItem(id))
		return err == nil && ok && readSchedule(t, st, "hourly").Fired == 1
	})
	stopB()

	px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "a leading again, its view rebuilt", func() bool {
		s := a.Stats()
		return a.Epoch() > epoch && s.Leader && s.ViewReady
	})
	stopA()
	rec := readSchedule(t, st, "hourly")
	if got := a.Stats().SlotsFired + b.Stats().SlotsFired; int64(got) != rec.Fired {
		t.Fatalf("drover_schedule_slots_fired_total: a %d + b %d = %d for %d slot(s) fired by the record: "+
			"a counted b's firing of %s as its own lost-reply firing", a.Stats().SlotsFired, b.Stats().SlotsFired, got, rec.Fired, id)
	}
}
