package scheduler

import (
	"slices"
	"sync/atomic"

	"github.com/drover-sched/drover/store"
)

// Stats is a snapshot of what a scheduler knows and has done, for metrics.
// Queue and worker figures are those of the current term (zero on a standby).
type Stats struct {
	Leader bool `json:"leader"`
	// ViewReady is whether the leader has listed the workers and the queue
	// since its term began or its view was last rebuilt: until then its
	// Queued and Workers are partial (zero at first), not the cluster's.
	ViewReady bool             `json:"view_ready"`
	Epoch     int64            `json:"epoch"`
	Queued    map[string]int64 `json:"queued"` // by priority: low, normal, high
	Workers   int64            `json:"workers"`
	// Counters since the process started.
	Elected    uint64 `json:"elected"`
	Placed     uint64 `json:"placed"`
	Fenced     uint64 `json:"fenced"`
	SlotsFired uint64 `json:"slots_fired"`
	Recovered  uint64 `json:"recovered"`
	// Unwritable counts firings that could not be written (a schedule's
	// record too large, a template that cannot run): once for each version
	// of the record, whose slots are tried again at every tick.
	Unwritable uint64 `json:"unwritable"`
	// PlaceLatency is the time from when a task became ready (readySince) to
	// its placement.
	PlaceLatency Histogram `json:"-"`
}

// latencyBounds are the upper bounds (seconds) of the latency histograms,
// as many as histogram has counters but the +Inf one.
var latencyBounds = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

// LatencyBounds returns the upper bounds (seconds) of the latency
// histograms (Stats.PlaceLatency), a copy: they are fixed (an exported
// slice an embedder extended made Stats panic).
func LatencyBounds() []float64 { return slices.Clone(latencyBounds[:]) }

// Histogram is a cumulative histogram snapshot in the Prometheus sense.
type Histogram struct {
	Count   uint64
	Sum     float64
	Buckets map[float64]uint64 // upper bound -> cumulative count
}

// histogram records latencies lock-free into fixed buckets. Its count is
// the buckets' sum as read, so a snapshot taken while observations land
// never has a bucket above the count.
type histogram struct {
	counts [len(latencyBounds) + 1]atomic.Uint64 // one per bound, plus +Inf
	sumUS  atomic.Uint64                         // microseconds
}

func (h *histogram) observe(seconds float64) {
	i := 0
	for i < len(latencyBounds) && seconds > latencyBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumUS.Add(uint64(max(seconds, 0) * 1e6))
}

func (h *histogram) snapshot() Histogram {
	out := Histogram{Sum: float64(h.sumUS.Load()) / 1e6, Buckets: map[float64]uint64{}}
	var cum uint64
	for i, b := range latencyBounds {
		cum += h.counts[i].Load()
		out.Buckets[b] = cum
	}
	out.Count = cum + h.counts[len(latencyBounds)].Load()
	return out
}

// counters are updated by the leader loop and read by Stats at any time.
type counters struct {
	queued                                    [3]atomic.Int64 // low, normal, high
	workers                                   atomic.Int64
	viewReady                                 atomic.Bool
	elected, placed, fenced, fired, recovered atomic.Uint64
	unwritable                                atomic.Uint64
	placeLatency                              histogram
}

func prioIndex(p store.Priority) int {
	switch p {
	case store.PriorityLow:
		return 0
	case store.PriorityHigh:
		return 2
	}
	return 1
}

// Stats returns the current figures.
func (s *Scheduler) Stats() Stats {
	c := &s.counters
	return Stats{
		Leader: s.IsLeader(), ViewReady: c.viewReady.Load(), Epoch: s.Epoch(),
		Queued:  map[string]int64{"low": c.queued[0].Load(), "normal": c.queued[1].Load(), "high": c.queued[2].Load()},
		Workers: c.workers.Load(),
		Elected: c.elected.Load(), Placed: c.placed.Load(), Fenced: c.fenced.Load(),
		SlotsFired: c.fired.Load(), Recovered: c.recovered.Load(), Unwritable: c.unwritable.Load(),
		PlaceLatency: c.placeLatency.snapshot(),
	}
}
