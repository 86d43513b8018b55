package scheduler_test

import (
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
)

// LatencyBounds was an exported variable: an embedder that extended it (a
// bound of 600 s, as the Prometheus habit is) made Stats, and so every
// /metrics scrape, panic, index out of range: the histogram keeps a fixed
// number of counters. It is a function returning a copy now; changing the
// copy changes nothing. (Found by review117.)
func TestLatencyBoundsExtendedDoesNotPanicStats(t *testing.T) {
	bounds := scheduler.LatencyBounds()
	_ = append(bounds, 600)
	bounds[0] = 42
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Stats().PlaceLatency
	if got := scheduler.LatencyBounds(); len(h.Buckets) != len(got) || got[0] == 42 {
		t.Fatalf("PlaceLatency has %d buckets, LatencyBounds() %v", len(h.Buckets), got)
	}
}
