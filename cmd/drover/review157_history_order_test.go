package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// TestReview157ScheduleHistoryInSlotOrder: `drover schedule history NAME`
// prints its runs grouped by the list they are kept in (every succeeded
// run, then every failed one, then skipped, then active), under one
// SLOT/STATE/TASK/NOTE header with no group headings, so the table reads
// as a timeline that jumps back and forth: after a failover it showed
// 10:37:28, :38, :40, :42 succeeded and then :30, :32, :34, :36 missed;
// a run that failed at 09:01 is listed after every success up to 09:04.
// Expected: the rows in slot order (newest or oldest first, but one).
func TestReview157ScheduleHistoryInSlotOrder(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	slot := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	rec := &store.Schedule{Name: "minutely", Cron: "* * * * *", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyForbid,
		CreatedAt: t0.Add(-time.Hour), KeepSucceeded: 10, KeepFailed: 10, Suspended: true, Task: store.Task{Cmd: []string{"true"}},
		Succeeded: []store.ScheduleRun{{Slot: slot(0), Task: "01M92WFFJ02S6WFQEYTHE5QR00", State: store.StateSucceeded},
			{Slot: slot(2), Task: "01M92WFFJ02S6WFQEYTHE5QR02", State: store.StateSucceeded},
			{Slot: slot(4), Task: "01M92WFFJ02S6WFQEYTHE5QR04", State: store.StateSucceeded}},
		Failed:  []store.ScheduleRun{{Slot: slot(1), Task: "01M92WFFJ02S6WFQEYTHE5QR01", State: store.StateFailed}},
		Skipped: []store.ScheduleRun{{Slot: slot(3), Reason: "forbid: the previous run is still active"}},
	}
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "schedule", "history", "minutely")
	if r.code != 0 {
		t.Fatalf("history: %+v", r)
	}
	var slots []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		slots = append(slots, strings.Fields(line)[0])
	}
	asc := slices.IsSorted(slots)
	slices.Reverse(slots)
	if desc := slices.IsSorted(slots); !asc && !desc {
		t.Errorf("schedule history rows out of slot order:\n%s", r.stdout)
	}
}
