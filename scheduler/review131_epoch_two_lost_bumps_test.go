package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// 725b673 makes bumpEpoch note a retried bump's landed first try: it keeps
// the send time of the LAST try whose reply was lost (lost = sent), and owns
// b.Replaced's epoch when that record is the one that try wrote. A bump whose
// reply is lost twice in a row, both tries landing, leads at u.epoch+3; the
// record the successful try replaced is the second lost try's, so only that
// epoch is owned, the first lost try's (u.epoch+1) is not, and
// ownedSince(u.epoch, u.epoch+3) fails: the scheduler's own landed firing
// goes uncounted though it alone ever led (review129's defect again, with
// one more lost reply). The same happens when the try after a landed lost
// one fails unsent (the connection drops again before it goes): lost is
// overwritten by a time no record holds. (Found by review131.)
func TestReview131FiringLostReplyCountedAcrossTwoLostBumps(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	// a -> outer -> inner -> ZooKeeper: inner loses the firing's reply and
	// the first bump's, outer the second bump's.
	inner := drovertest.StartProxy(t, drovertest.Addr())
	outer := drovertest.StartProxy(t, inner.Addr())
	lst := drovertest.OpenStoreFor(t, outer.Addr(), root, 4*time.Second)
	id := hourlySoon(t, st)

	logs := shownOnFailure(t)
	a, stopA := runScheduler(t, lst, "a", withLog(logs, "a"))
	drovertest.WaitFor(t, 15*time.Second, "a leading", a.IsLeader)
	epoch := a.Epoch()
	// Armed now: nothing a sends names this epoch before its second bump.
	outer.DropRepliesAfter([]byte(fmt.Sprintf(`"epoch":%d`, epoch+2)))

	// a's firing of the slot lands, its reply lost; its session expires.
	firingLostThenExpired(t, st, inner, id)

	// a is elected again, nobody between; its bump to epoch+1 lands, reply lost.
	inner.Cut(false)
	inner.DropRepliesAfter([]byte(fmt.Sprintf(`"epoch":%d`, epoch+1)))
	drovertest.WaitFor(t, 30*time.Second, "a's bump to epoch+1 committed, its reply dropped", func() bool {
		rec, _, err := st.Epoch()
		return err == nil && rec.Epoch == epoch+1 && rec.Leader == "a" && inner.Dropping()
	})
	inner.Cut(true)
	inner.Cut(false)
	// Its retry, to epoch+2, lands too, its reply lost.
	drovertest.WaitFor(t, 30*time.Second, "a's bump to epoch+2 committed, its reply dropped", func() bool {
		rec, _, err := st.Epoch()
		return err == nil && rec.Epoch == epoch+2 && rec.Leader == "a" && outer.Dropping()
	})
	outer.Cut(true)
	outer.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "a leading again, its view rebuilt", func() bool {
		s := a.Stats()
		return a.Epoch() > epoch+2 && s.Leader && s.ViewReady
	})
	stopA()
	if rec, _, err := st.Epoch(); err != nil || rec.Leader != "a" {
		t.Fatalf("epoch record %+v (%v): the test needs a alone to have led", rec, err)
	}
	rec := readSchedule(t, st, "hourly")
	if got := a.Stats().SlotsFired; int64(got) != rec.Fired {
		t.Fatalf("drover_schedule_slots_fired_total = %d while hourly's record counts %d slot(s) fired, all by a, the only scheduler "+
			"(its firing of %s landed with the reply lost in epoch %d; two bump tries landed with their replies lost, epochs %d and %d; "+
			"it leads at epoch %d, and only the last lost try's epoch is owned)", got, rec.Fired, id, epoch, epoch+1, epoch+2, a.Epoch())
	}
}
