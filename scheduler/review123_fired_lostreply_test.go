package scheduler

import (
	"strconv"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// drover_schedule_slots_fired_total (Stats().SlotsFired) counts a firing
// in applyFiring, once its transaction's reply says it committed. A firing
// that commits while the connection is lost (its reply lost: a ZooKeeper
// server's restart, a network blip) fails fireAll with ErrConnection, the
// view is rebuilt from the record the firing wrote, and the slot it fired
// (its task queued, to be placed and run) is counted nowhere: the counter
// falls behind the schedule's own count of slots fired, for good. The same
// lost-reply path drops committed placements
// (TestPlacementCommittedWithItsReplyLostIsCounted). (Found by review123.)
func TestFiringCommittedWithItsReplyLostIsCounted(t *testing.T) {
	c := newLostReplyCluster(t)
	st := c.st
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *"})
	created := readSchedule(t, st, "tick").CreatedAt
	s, stop := c.run(t)
	drovertest.WaitFor(t, 15*time.Second, "tick firing", func() bool { return s.Stats().SlotsFired >= 1 })
	// The firing of a slot a few seconds ahead commits; its reply, and
	// every reply after it, is lost until the connection is cut.
	slot := time.Now().Truncate(time.Second).Add(3 * time.Second)
	id := store.SlotTaskID("tick@"+strconv.FormatInt(created.UnixNano(), 10), slot, 0) // as slotID names it
	c.px.DropRepliesAfter([]byte(id))
	drovertest.WaitFor(t, 15*time.Second, "the slot's firing committed, its reply dropped", func() bool {
		ok, _, err := st.Exists(st.Layout().QueueItem(id))
		return err == nil && ok && c.px.Dropping()
	})
	c.blip(t, s)
	fired := readSchedule(t, st, "tick").Fired
	drovertest.WaitFor(t, 15*time.Second, "tick fired twice more", func() bool { return readSchedule(t, st, "tick").Fired >= fired+2 })
	// Only s1 ever fired tick: stopped, every firing it made is in the
	// record's count.
	stop()
	counted, rec := s.Stats().SlotsFired, readSchedule(t, st, "tick")
	if int64(counted) != rec.Fired {
		t.Fatalf("drover_schedule_slots_fired_total = %d while tick's record counts %d slots fired, all by this scheduler "+
			"(the slot of task %s fired with its reply lost)", counted, rec.Fired, id)
	}
}
