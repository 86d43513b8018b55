package scheduler

import (
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// drover_placement_latency_seconds is "from its backoff's end, to its
// placement" for a failed attempt's retry. The leader times the backoff
// on ZooKeeper's clock, so that a worker whose clock is off the leader's
// does not move it (README, FAILURES.md: "a failed attempt's retry waits
// out its backoff all the same"); but the histogram counts from the
// record's not_before, the worker's clock reading (readySince). A worker
// 10 minutes behind makes each retry it queues, placed a moment after
// its backoff, an observation of 10 minutes: the operator's p99 placement
// latency is the worst worker's clock offset. (One ahead makes them 0.)
// (Found by review123.)
func TestPlacementLatencyOfARetryIsNotAWorkersClockOffset(t *testing.T) {
	const behind = 10 * time.Minute // the reporting worker's clock
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", func() bool { return s.IsLeader() && s.Stats().ViewReady })
	w := registerWorker(t, root, "w", 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "w in view", func() bool { return s.Stats().Workers == 1 })
	// An hour-long task whose attempt 1 failed just now on a worker whose
	// clock reads 10 minutes behind: it queued attempt 2 with a 1 s
	// backoff, by its clock, as a worker's report does.
	workerNow := time.Now().Add(-behind).UTC()
	id := ulid.Make().String()
	task := &store.Task{ID: id, Cmd: []string{"false"}, Retries: 1, SubmittedAt: time.Now().Add(-time.Hour).UTC(), Attempt: 2,
		NotBefore: workerNow.Add(time.Second)}
	task.AddAttempt(store.Attempt{N: 1, Worker: "w", StartedAt: workerNow.Add(-time.Hour), FinishedAt: workerNow, ExitCode: 1})
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Enqueue(task.Clone()) }); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 15*time.Second, "attempt 2 placed", func() bool { return len(w.assignments(t)) == 1 && s.Stats().Placed == 1 })
	h := s.Stats().PlaceLatency
	if h.Count != 1 || h.Buckets[300] != 1 {
		t.Fatalf("the retry, placed on its backoff's end (a second after it was queued, by ZooKeeper's clock), observed as %.0f s "+
			"(count %d, %d of them within 300 s): the reporting worker's clock offset (%v behind), not a wait", h.Sum, h.Count, h.Buckets[300], behind)
	}
}
