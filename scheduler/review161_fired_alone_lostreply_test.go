package scheduler

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// TestReview161FiringCommittedAloneWithItsReplyLostIsCounted:
// drover_schedule_slots_fired_total (Stats().SlotsFired) counts a firing
// whose reply was lost once the rebuilt view reads the record it wrote
// (fireAll records it in unsureFirings: review123/126/131). But only for
// a transaction of the first, shared round: when a shared transaction
// failed because one of its schedules changed meanwhile (a pause, a
// trigger, an edit), fireAll commits each of its firings alone, and an
// alone commit whose reply is lost returns the error with no unsureFirings
// entry. The firing landed (its task queued, run, the record's count
// raised), and the counter falls behind the records' counts for good.
//
// Here a and b fire each second in one shared transaction. In one round,
// a is edited between prepare and commit (testHookFire), so the shared
// transaction fails; a is read again, and b's firing, committed alone,
// lands with its reply lost (the proxy drops replies from b's alone
// commit on: its fence check followed directly by b's record's set).
func TestReview161FiringCommittedAloneWithItsReplyLostIsCounted(t *testing.T) {
	c := newLostReplyCluster(t)
	st := c.st
	addSchedule(t, st, &store.Schedule{Name: "a", Cron: "* * * * * *"})
	addSchedule(t, st, &store.Schedule{Name: "b", Cron: "* * * * * *"})
	// The fence check's version (-1), then a setData op header (type 5,
	// not done, err -1) and b's record's path: bytes only a transaction
	// whose first firing is b's carries.
	p := c.lst.Layout().Schedule("b")
	marker := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 5, 0, 0xff, 0xff, 0xff, 0xff}
	marker = binary.BigEndian.AppendUint32(marker, uint32(len(p)))
	marker = append(marker, p...)
	var armed, hit atomic.Bool
	testHookFire = func() {
		if armed.CompareAndSwap(true, false) {
			editSchedule(t, st, "a", func(rec *store.Schedule) { rec.KeepSucceeded++ })
			c.px.DropRepliesAfter(marker)
			hit.Store(true)
		}
	}
	t.Cleanup(func() { testHookFire = nil })
	s, stop := c.run(t)
	waitIn(t, 15*time.Second, "a and b fired", func() bool { return s.Stats().SlotsFired >= 4 })
	armed.Store(true)
	if !waitIn(t, 15*time.Second, "b's alone firing committed, its reply dropped", func() bool { return hit.Load() && c.px.Dropping() }) {
		t.Fatal("the round with a edited never came, or b's alone commit was not sent")
	}
	before := readSchedule(t, st, "b").Fired
	c.blip(t, s)
	waitIn(t, 15*time.Second, "a and b fired twice more", func() bool {
		return readSchedule(t, st, "a").Fired >= before+2 && readSchedule(t, st, "b").Fired >= before+2
	})
	stop()
	a, b := readSchedule(t, st, "a"), readSchedule(t, st, "b")
	if counted := int64(s.Stats().SlotsFired); counted != a.Fired+b.Fired {
		t.Fatalf("drover_schedule_slots_fired_total = %d while the records count %d slots fired (a %d, b %d), all by this scheduler: "+
			"b's firing committed alone (after its shared transaction failed on a's edit) with its reply lost went uncounted",
			counted, a.Fired+b.Fired, a.Fired, b.Fired)
	}
}
