package chaos

import (
	"strings"
	"testing"

	"github.com/drover-sched/drover/store"
)

// The final pause files the slots due after the leader's last handling as
// "missed: paused before it fired", after it in the record. The catch-up
// last check looks only at the record's last entry ("its last slot handled
// was missed, not run"): with the pause's entries after it, a leader whose
// last catch-up missed its newest slot (the one catch-up last must run) is
// no longer the last entry, and the defect passes unseen. The check should
// look at the last slot before the pause's entries.
func TestReview125PausedSlotsHideCatchupLastMissingItsNewest(t *testing.T) {
	// Without the pause's entries the defect is caught (as in
	// TestScheduleChecks).
	plain := newSchedCase()
	plain.rec.Catchup = store.CatchupLast
	*plain.entry(6) = store.ScheduleRun{Slot: slotAt(6), Reason: reasonMissed}
	if !anyContains(plain.check(), "was missed, not run") {
		t.Fatalf("the check misses the defect even without a pause: %q", plain.check())
	}

	// The same record, paused one and two slots later, none fired.
	c := newSchedCase()
	c.rec.Catchup = store.CatchupLast
	*c.entry(6) = store.ScheduleRun{Slot: slotAt(6), Reason: reasonMissed}
	c.rec.LastSlot = slotAt(8)
	c.rec.Skipped = append(c.rec.Skipped,
		store.ScheduleRun{Slot: slotAt(7), Reason: reasonPaused},
		store.ScheduleRun{Slot: slotAt(8), Reason: reasonPaused})
	if errs := c.check(); !anyContains(errs, "was missed, not run") {
		t.Errorf("catch-up last: the leader's newest slot handled (00:00:06) was missed, not run, but the pause's entries after it hide it: the checker says %q", errs)
	}
}

func anyContains(errs []string, want string) bool {
	for _, e := range errs {
		if strings.Contains(e, want) {
			return true
		}
	}
	return false
}
