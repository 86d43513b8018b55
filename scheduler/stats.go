package scheduler

import (
	"sync/atomic"
	"time"

	"github.com/drover-sched/drover/latency"
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
	// Cordons counts the worker ids cordoned (drover workers cordon),
	// registered or not.
	Cordons int64 `json:"cordons"`
	// HeadWait is how long the longest-waiting task first in its line
	// (readyQueue.oldestHead) has been ready to run, as of the leader's
	// last look (each second); 0 with none queued.
	HeadWait time.Duration `json:"-"`
	// Delayed counts, of the queued tasks, those not yet due: waiting out
	// a retry's backoff or a start time (submit --at, --in), as of the
	// leader's last look (each second).
	Delayed int64 `json:"-"`
	// Held counts, of the queued tasks, those held for the tasks they run
	// after (submit --after), as of the leader's last look (each second).
	Held int64 `json:"-"`
	// Counters since the process started.
	Elected    uint64 `json:"elected"`
	Placed     uint64 `json:"placed"`
	Fenced     uint64 `json:"fenced"`
	SlotsFired uint64 `json:"slots_fired"`
	Recovered  uint64 `json:"recovered"`
	// EndedFailed and EndedDead count, of the Recovered, those that ended
	// their task failed or dead (a timeout's withdrawal with no retry left,
	// a worker lost too often): the ends the leader writes; workers count
	// theirs (worker.Stats.Outcomes).
	EndedFailed uint64 `json:"ended_failed"`
	EndedDead   uint64 `json:"ended_dead"`
	// Unwritable counts firings that could not be written (a schedule's
	// record too large, a template that cannot run): once for each version
	// of the record, whose slots are tried again at every tick.
	Unwritable uint64 `json:"unwritable"`
	// PlaceLatency is the time from when a task became ready (readySince) to
	// its placement.
	PlaceLatency Histogram `json:"-"`
}

// LatencyBounds returns the upper bounds (seconds) of the latency
// histograms (Stats.PlaceLatency), a copy: they are fixed.
func LatencyBounds() []float64 { return latency.Bounds() }

// Histogram is a cumulative histogram snapshot in the Prometheus sense.
type Histogram = latency.Snapshot

// counters are updated by the leader loop and read by Stats at any time.
type counters struct {
	queued                                    [3]atomic.Int64 // low, normal, high
	workers, cordoned                         atomic.Int64
	headSince                                 atomic.Int64 // readyQueue.oldestHead, 0: none
	delayed                                   atomic.Int64 // queued tasks not yet due (backoff, start time)
	held                                      atomic.Int64 // queued tasks held for the tasks they run after
	viewReady                                 atomic.Bool
	elected, placed, fenced, fired, recovered atomic.Uint64
	unwritable                                atomic.Uint64
	endedFailed, endedDead                    atomic.Uint64
	placeLatency                              latency.Recorder
}

// ended counts a task the leader ended in state (failed or dead).
func (c *counters) ended(state store.State) {
	switch state {
	case store.StateFailed:
		c.endedFailed.Add(1)
	case store.StateDead:
		c.endedDead.Add(1)
	}
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
	var headWait time.Duration
	if since := c.headSince.Load(); since > 0 {
		headWait = max(s.cfg.Now().Sub(time.Unix(0, since)), 0)
	}
	return Stats{
		Leader: s.IsLeader(), ViewReady: c.viewReady.Load(), Epoch: s.Epoch(),
		Queued:  map[string]int64{"low": c.queued[0].Load(), "normal": c.queued[1].Load(), "high": c.queued[2].Load()},
		Workers: c.workers.Load(), Cordons: c.cordoned.Load(), HeadWait: headWait, Delayed: c.delayed.Load(), Held: c.held.Load(),
		Elected: c.elected.Load(), Placed: c.placed.Load(), Fenced: c.fenced.Load(),
		SlotsFired: c.fired.Load(), Recovered: c.recovered.Load(), Unwritable: c.unwritable.Load(),
		EndedFailed: c.endedFailed.Load(), EndedDead: c.endedDead.Load(),
		PlaceLatency: c.placeLatency.Snapshot(),
	}
}
