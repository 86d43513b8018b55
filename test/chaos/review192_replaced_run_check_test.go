package chaos

import (
	"slices"
	"strings"
	"testing"

	"github.com/drover-sched/drover/store"
)

// TestReview192ScheduleChecksPassAReplacedRun: a replace schedule's run
// that the next slot cancelled is filed, since this session's change
// (store.Schedule.Record), with the skipped slots: its task, state
// cancelled and note store.ReasonReplaced ("replaced by a newer slot").
// The checker knows only "skipped: replaced by a newer slot due with it"
// (a slot with no task) and a run with no note; a run that was replaced
// then has "an entry no policy explains", and every run of the suite's
// two-all-replace schedule (a 2.5 s run every 2 s) fails the suite.
func TestReview192ScheduleChecksPassAReplacedRun(t *testing.T) {
	// Slot 1 ran as A; 2 skipped, replaced by 3 due with it; 3 ran as B;
	// 4 ran as C, which 5 (D) replaced.
	c := newSchedCase()
	c.s.concurrency, c.rec.Concurrency = store.ConcurrencyReplace, store.ConcurrencyReplace
	c.rec.LastSlot = slotAt(5)
	c.rec.Succeeded = slices.DeleteFunc(c.rec.Succeeded, func(r store.ScheduleRun) bool { return r.Task == "C" })
	c.rec.Skipped = []store.ScheduleRun{
		{Slot: slotAt(2), Reason: reasonReplaced},
		{Slot: slotAt(4), Task: "C", State: store.StateCancelled, Reason: store.ReasonReplaced},
	}
	c.tasks["C"].State, c.tasks["C"].Error = store.StateCancelled, store.ReasonReplaced
	if errs := c.check(); len(errs) > 0 {
		t.Errorf("a sound replace run, one of its runs replaced (filed as the leader files it), fails the checks:\n%s", strings.Join(errs, "\n"))
	}
}
