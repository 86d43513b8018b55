// Package latency records durations into fixed buckets without locks and
// takes cumulative snapshots of them, as Prometheus histograms have them:
// the scheduler's placement latency and the worker's wait for a slot,
// which their /metrics serve as constant histograms built from Stats.
package latency

import (
	"slices"
	"sync/atomic"
)

// bounds are the buckets' upper bounds (seconds), as many as Recorder has
// counters but the +Inf one.
var bounds = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

// Bounds returns the buckets' upper bounds (seconds), a copy: they are
// fixed (an exported slice an embedder extended made a snapshot panic).
func Bounds() []float64 { return slices.Clone(bounds[:]) }

// Snapshot is a cumulative histogram in the Prometheus sense.
type Snapshot struct {
	Count   uint64
	Sum     float64
	Buckets map[float64]uint64 // upper bound -> cumulative count
}

// Recorder records durations, from any goroutine. Its count is the
// buckets' sum as read, so a snapshot taken while observations land never
// has a bucket above the count. The zero Recorder is empty.
type Recorder struct {
	counts [len(bounds) + 1]atomic.Uint64 // one per bound, plus +Inf
	sumUS  atomic.Uint64                  // microseconds
}

// Observe records a duration of seconds (a negative one as 0).
func (r *Recorder) Observe(seconds float64) {
	i := 0
	for i < len(bounds) && seconds > bounds[i] {
		i++
	}
	r.counts[i].Add(1)
	r.sumUS.Add(uint64(max(seconds, 0) * 1e6))
}

// Snapshot returns what r has recorded so far.
func (r *Recorder) Snapshot() Snapshot {
	out := Snapshot{Sum: float64(r.sumUS.Load()) / 1e6, Buckets: map[float64]uint64{}}
	var cum uint64
	for i, b := range bounds {
		cum += r.counts[i].Load()
		out.Buckets[b] = cum
	}
	out.Count = cum + r.counts[len(bounds)].Load()
	return out
}
