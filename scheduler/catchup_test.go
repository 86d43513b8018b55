package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// Catch-up all runs "each, at most 100" (README): the newest 100 of the
// slots missed. After an outage of just over maxScan slots the walk is cut
// in two parts, all of the first is missed, and only the second part's
// slots fire: 100,001 missed slots of a per-second schedule fire 1.
func TestCatchupAllAfterACutWalkFiresTheNewestHundred(t *testing.T) {
	every, err := ParseSpec("* * * * * *", "")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	now := t0.Add((maxScan + 1) * time.Second) // 100,001 slots due
	var fired []time.Time
	missed := 0
	for last := t0; !last.Equal(now); {
		p := PlanSlots(every, &store.Schedule{Catchup: store.CatchupAll, LastSlot: last}, now)
		fired, missed, last = append(fired, p.Fire...), missed+p.MissedCount, p.Last
	}
	if len(fired) != MaxCatchup {
		t.Errorf("catch-up all of %d missed slots fired %d, missed %d; want the newest %d", maxScan+1, len(fired), missed, MaxCatchup)
	}
}
