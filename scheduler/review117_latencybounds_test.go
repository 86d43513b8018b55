package scheduler_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
)

// LatencyBounds is an exported variable, documented only as "the upper
// bounds (seconds) of the latency histograms": an embedder whose placements
// can wait longer than five minutes (tasks held back by labels, a busy
// fleet) adds a bound, as the Prometheus habit is. The histogram behind it
// keeps a fixed array of 17 counters (16 bounds and +Inf), so with one bound
// more Stats (what the web package's /metrics calls at each scrape) panics,
// index out of range, and so does the leader's observe of any placement
// slower than the last bound: the embedder's process dies.
func TestLatencyBoundsExtendedDoesNotPanicStats(t *testing.T) {
	saved := scheduler.LatencyBounds
	t.Cleanup(func() { scheduler.LatencyBounds = saved })
	scheduler.LatencyBounds = append(slices.Clone(saved), 600)

	st := drovertest.OpenStore(t, drovertest.NewRoot())
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	stats := func() (h scheduler.Histogram, err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("panic: %v", v)
			}
		}()
		return s.Stats().PlaceLatency, nil
	}
	h, err := stats()
	if err != nil {
		t.Fatalf("Stats with LatencyBounds given a bound of 600 s: %v", err)
	}
	if len(h.Buckets) != len(scheduler.LatencyBounds) {
		t.Fatalf("PlaceLatency has %d buckets, LatencyBounds %d", len(h.Buckets), len(scheduler.LatencyBounds))
	}
}
