package scheduler

import (
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review155: review123 made drover_placement_latency_seconds count a
// worker-queued retry from its queue item's creation by ZooKeeper's
// clock, not from the record's times, which are the reporting worker's
// clock (notBefore). That holds only for a record with a not_before: a
// drain's hand-back (worker.handBack) queues the next attempt with none,
// and its unstarted attempt's finished_at by the draining worker's clock.
// notBefore then returns early and readySince takes that finished_at: a
// task handed back by a worker 10 minutes behind, placed at once, is
// observed as a 10-minute wait (one ahead, as 0). A rolling restart of a
// fleet with prefetch puts each worker's clock offset into the p99.
func TestReview155PlacementLatencyOfAHandedBackTaskIsNotAWorkersClockOffset(t *testing.T) {
	const behind = 10 * time.Minute // the draining worker's clock
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", func() bool { return s.IsLeader() && s.Stats().ViewReady })
	w := registerWorker(t, root, "w", 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "w in view", func() bool { return s.Stats().Workers == 1 })
	// A task submitted an hour ago whose attempt 1, prefetched on a worker
	// whose clock reads 10 minutes behind, was handed back unstarted just
	// now as that worker drained: queued as attempt 2 as handBack queues
	// it (no not_before, the attempt ended by the worker's clock).
	workerNow := time.Now().Add(-behind).UTC()
	id := ulid.Make().String()
	task := &store.Task{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().Add(-time.Hour).UTC(), Attempt: 2}
	task.AddAttempt(store.Attempt{N: 1, Worker: "drained", FinishedAt: workerNow, ExitCode: -1,
		Error: "handed back unstarted: the worker drained", Unstarted: true})
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Enqueue(task.Clone()) }); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 15*time.Second, "attempt 2 placed", func() bool { return len(w.assignments(t)) == 1 && s.Stats().Placed == 1 })
	h := s.Stats().PlaceLatency
	if h.Count != 1 || h.Buckets[300] != 1 {
		t.Fatalf("the handed-back task, placed as soon as it was queued, observed as %.0f s "+
			"(count %d, %d of them within 300 s): the draining worker's clock offset (%v behind), not a wait", h.Sum, h.Count, h.Buckets[300], behind)
	}
}
