package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// A mass `schedule rm` leaves its tombstones to be deleted an hour on, "in
// a fenced transaction (at most 256 a second)" (docs/ARCHITECTURE.md,
// Schedules). sweepTombstones deletes sweepBatch (256) a call, but sets
// clockReadAt, which gates the next call, before it: the next batch waits
// clockReadEvery (a minute; tombstoneAge/4 in tests that shorten it). So
// 20,000 tombstones took 78 minutes past their hour, their names still
// counting against MaxScheduleListing, and `schedule add` refused new
// ones meanwhile (review28). Here tombstoneAge is 20 s, so a gate of 5 s.
func TestTombstonesDueTogetherGoAt256ASecond(t *testing.T) {
	tombstoneAge = 20 * time.Second
	t.Cleanup(func() { tombstoneAge = time.Hour })
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const n = sweepBatch + 44
	for i := range n {
		addAndRemove(t, st, fmt.Sprintf("gone-%03d", i))
	}
	runScheduler(t, st, "s1")
	left := func() int {
		names, err := st.Children(st.Layout().Schedules())
		if err != nil {
			t.Fatal(err)
		}
		return len(names)
	}
	drovertest.WaitFor(t, tombstoneAge+15*time.Second, "the first tombstones deleted", func() bool { return left() < n })
	first := time.Now()
	drovertest.WaitFor(t, 10*time.Second, "every tombstone deleted", func() bool { return left() == 0 })
	if took := time.Since(first); took > 2500*time.Millisecond {
		t.Errorf("%d tombstones due together: the last %d went %v after the first %d; want at most 256 a second", n, n-sweepBatch, took.Round(100*time.Millisecond), sweepBatch)
	}
}
