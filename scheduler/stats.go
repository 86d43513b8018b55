package scheduler

import (
	"sync/atomic"

	"github.com/drover-sched/drover/store"
)

// Stats is a snapshot of what a scheduler knows and has done, for metrics.
// Queue and worker figures are those of the current term (zero on a standby).
type Stats struct {
	Leader  bool
	Epoch   int64
	Queued  map[string]int64 // by priority: low, normal, high
	Workers int64
	// Counters since the process started.
	Elected, Placed, Fenced, SlotsFired, Recovered uint64
}

// counters are updated by the leader loop and read by Stats at any time.
type counters struct {
	queued                                    [3]atomic.Int64 // low, normal, high
	workers                                   atomic.Int64
	elected, placed, fenced, fired, recovered atomic.Uint64
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
		Leader: s.IsLeader(), Epoch: s.Epoch(),
		Queued:  map[string]int64{"low": c.queued[0].Load(), "normal": c.queued[1].Load(), "high": c.queued[2].Load()},
		Workers: c.workers.Load(),
		Elected: c.elected.Load(), Placed: c.placed.Load(), Fenced: c.fenced.Load(),
		SlotsFired: c.fired.Load(), Recovered: c.recovered.Load(),
	}
}
