package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// aa32448 counts a lost-reply firing in a later term only when
// l.epoch == u.epoch+1, taking epochs to count terms. They do not: bumpEpoch
// retries a bump whose reply was lost (ErrConnection), and the retry reads
// the epoch the lost bump wrote and writes one more. A scheduler whose firing
// landed with its reply lost, elected again with nobody between, whose bump's
// reply is lost too, leads at u.epoch+2: its own landed firing goes uncounted
// in drover_schedule_slots_fired_total, though the record is exactly as it
// wrote it and no other scheduler ever led. (Found by review129.)
func TestReview129FiringLostReplyCountedAcrossSkippedEpoch(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreFor(t, px.Addr(), root, 4*time.Second)
	id := hourlySoon(t, st)

	logs := shownOnFailure(t)
	a, stopA := runScheduler(t, lst, "a", withLog(logs, "a"))
	drovertest.WaitFor(t, 15*time.Second, "a leading", a.IsLeader)
	epoch := a.Epoch()

	// a's firing of the slot lands, its reply lost; its session expires.
	firingLostThenExpired(t, st, px, id)

	// a is elected again, nobody between; its bump to epoch+1 lands and its
	// reply is lost, so bumpEpoch tries again and writes epoch+2.
	px.Cut(false)
	px.DropRepliesAfter([]byte(fmt.Sprintf(`"epoch":%d`, epoch+1)))
	drovertest.WaitFor(t, 30*time.Second, "a's bump to the next epoch committed, its reply dropped", func() bool {
		rec, _, err := st.Epoch()
		return err == nil && rec.Epoch == epoch+1 && rec.Leader == "a" && px.Dropping()
	})
	px.Cut(true)
	px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "a leading again, its view rebuilt", func() bool {
		s := a.Stats()
		return a.Epoch() > epoch+1 && s.Leader && s.ViewReady
	})
	stopA()
	if rec, _, err := st.Epoch(); err != nil || rec.Leader != "a" {
		t.Fatalf("epoch record %+v (%v): the test needs a alone to have led", rec, err)
	}
	rec := readSchedule(t, st, "hourly")
	if got := a.Stats().SlotsFired; int64(got) != rec.Fired {
		t.Fatalf("drover_schedule_slots_fired_total = %d while hourly's record counts %d slot(s) fired, all by a, the only scheduler "+
			"(its firing of %s landed with the reply lost in epoch %d; it leads again at epoch %d, its retried bump having skipped %d, "+
			"and l.epoch == u.epoch+1 no longer holds)", got, rec.Fired, id, epoch, a.Epoch(), epoch+1)
	}
}
