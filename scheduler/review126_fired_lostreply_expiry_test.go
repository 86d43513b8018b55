package scheduler

import (
	"strconv"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The lost-reply tally of firings (l.unsureFirings, a231f71) lives in the
// leader of one term, as the placements' does: a firing that commits with
// its reply lost while the session then expires (an outage longer than the
// session timeout) is counted nowhere by the scheduler that made it, elected
// again on a new session; drover_schedule_slots_fired_total falls behind
// the record's count of slots fired, all by this scheduler. (Found by
// review126.)
func TestReview126FiringLostReplyAcrossSessionExpiryIsCounted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreFor(t, px.Addr(), root, 4*time.Second)
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *"})
	created := readSchedule(t, st, "tick").CreatedAt
	logs := shownOnFailure(t)
	s, stop := runScheduler(t, lst, "s1", withLog(logs, "s1"))
	drovertest.WaitFor(t, 15*time.Second, "tick firing", func() bool { return s.Stats().SlotsFired >= 1 })
	epoch := s.Epoch()
	slot := time.Now().Truncate(time.Second).Add(3 * time.Second)
	id := store.SlotTaskID("tick@"+strconv.FormatInt(created.UnixNano(), 10), slot, 0) // as slotID names it
	px.DropRepliesAfter([]byte(id))
	drovertest.WaitFor(t, 15*time.Second, "the slot's firing committed, its reply dropped", func() bool {
		ok, _, err := st.Exists(st.Layout().QueueItem(id))
		return err == nil && ok && px.Dropping()
	})
	px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "s1's session expired (its election znode gone)", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})
	px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "s1 leading again", func() bool { return s.Epoch() > epoch && s.IsLeader() })
	fired := readSchedule(t, st, "tick").Fired
	drovertest.WaitFor(t, 15*time.Second, "tick fired twice more", func() bool { return readSchedule(t, st, "tick").Fired >= fired+2 })
	stop()
	counted, rec := s.Stats().SlotsFired, readSchedule(t, st, "tick")
	if int64(counted) != rec.Fired {
		t.Fatalf("drover_schedule_slots_fired_total = %d while tick's record counts %d slots fired, all by this scheduler "+
			"(the slot of task %s fired with its reply lost, the session expiring before it reconnected)", counted, rec.Fired, id)
	}
}
