package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// 725b673 counts a lost-reply firing in a later term when
// carried.ownedSince(u.epoch, l.epoch): every epoch after the firing's, up to
// the term's, is one this scheduler won. It takes epochs to only grow. They
// do not: BumpEpoch makes a deleted <root>/epoch again and "the count starts
// over as a new cluster's (nothing relies on its order)". After that,
// ownedSince(u.epoch, l.epoch) is vacuously true when l.epoch <= u.epoch, and
// owned still holds the old count's epoch numbers, now another leader's.
//
// Here a's firing of a slot is lost unapplied, a's session expires, the
// epoch record is deleted, b leads (epoch 1 of the new count) and fires the
// slot, then a leads again (epoch 2): the record is at the version and fired
// count a's lost firing would have reached, and a counts b's firing as its
// own. drover_schedule_slots_fired_total summed over a and b is 2 for the one
// slot the record says fired. (Found by review131.)
func TestReview131FiringLostUnappliedCountedAfterEpochRecordDeleted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreFor(t, px.Addr(), root, 4*time.Second)
	id := hourlySoon(t, st)

	px.FreezeAt([]byte(id)) // a's firing of the slot is sent and never applied
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

	// The operator deletes the epoch record (BumpEpoch makes it again, the
	// count starting over).
	if err := st.Delete(st.Layout().Epoch(), -1); err != nil {
		t.Fatal(err)
	}

	b, stopB := runScheduler(t, st, "b")
	drovertest.WaitFor(t, 30*time.Second, "b fired the slot a lost", func() bool {
		ok, _, err := st.Exists(st.Layout().QueueItem(id))
		return err == nil && ok && readSchedule(t, st, "hourly").Fired == 1
	})
	bEpoch := b.Epoch()
	stopB()

	px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "a leading again, its view rebuilt", func() bool {
		s := a.Stats()
		return a.Epoch() > bEpoch && s.Leader && s.ViewReady
	})
	aEpoch := a.Epoch()
	stopA()
	rec := readSchedule(t, st, "hourly")
	if got := a.Stats().SlotsFired + b.Stats().SlotsFired; int64(got) != rec.Fired {
		t.Fatalf("drover_schedule_slots_fired_total: a %d + b %d = %d for %d slot(s) fired by the record: "+
			"a (lost firing in epoch %d) counted b's firing (epoch %d, the count restarted after the epoch record was deleted) "+
			"as its own in epoch %d: ownedSince(%d, %d) holds", a.Stats().SlotsFired, b.Stats().SlotsFired, got, rec.Fired,
			epoch, bEpoch, aEpoch, epoch, aEpoch)
	}
}
