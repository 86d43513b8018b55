package scheduler

import (
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// drover_placement_latency_seconds counts from when a task became ready.
// A task queued again by a worker carries that worker's clock in its
// record (a retry's not_before, an attempt's finished_at): a worker 10
// minutes behind made each such task, placed a moment after it was ready,
// an observation of 10 minutes, so the operator's p99 placement latency
// was the worst worker's clock offset (one ahead made them 0). The leader
// times them from the queue item's creation on ZooKeeper's clock instead:
//   - a failed attempt's retry, after its backoff (found by review123);
//   - a task a draining worker handed back, which has no backoff and whose
//     unstarted attempt ended by the worker's clock (found by review155).
func TestPlacementLatencyIsNotAWorkersClockOffset(t *testing.T) {
	const behind = 10 * time.Minute // the worker's clock
	for _, c := range []struct {
		name string
		task func(id string, workerNow time.Time) *store.Task
	}{
		{"a retry after its backoff", func(id string, workerNow time.Time) *store.Task {
			// Attempt 1 failed just now: attempt 2 queued with a 1 s backoff,
			// by the worker's clock, as a worker's report does.
			task := &store.Task{ID: id, Cmd: []string{"false"}, Retries: 1, SubmittedAt: time.Now().Add(-time.Hour).UTC(), Attempt: 2,
				NotBefore: workerNow.Add(time.Second)}
			task.AddAttempt(store.Attempt{N: 1, Worker: "w", StartedAt: workerNow.Add(-time.Hour), FinishedAt: workerNow, ExitCode: 1})
			return task
		}},
		{"a task handed back by a drain", func(id string, workerNow time.Time) *store.Task {
			// Attempt 1, prefetched, handed back unstarted just now as its
			// worker drained: attempt 2 queued as handBack queues it.
			task := &store.Task{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().Add(-time.Hour).UTC(), Attempt: 2}
			task.AddAttempt(store.Attempt{N: 1, Worker: "drained", FinishedAt: workerNow, ExitCode: -1,
				Error: "handed back unstarted: the worker drained", Unstarted: true})
			return task
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			s, _ := runScheduler(t, st, "s1")
			drovertest.WaitFor(t, 10*time.Second, "s1 leads", func() bool { return s.IsLeader() && s.Stats().ViewReady })
			w := registerWorker(t, root, "w", 1, nil)
			drovertest.WaitFor(t, 10*time.Second, "w in view", func() bool { return s.Stats().Workers == 1 })
			id := ulid.Make().String()
			task := c.task(id, time.Now().Add(-behind).UTC())
			if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Enqueue(task.Clone()) }); err != nil {
				t.Fatal(err)
			}
			drovertest.WaitFor(t, 15*time.Second, "attempt 2 placed", func() bool { return len(w.assignments(t)) == 1 && s.Stats().Placed == 1 })
			h := s.Stats().PlaceLatency
			if h.Count != 1 || h.Buckets[300] != 1 {
				t.Fatalf("placed a moment after it was ready (by ZooKeeper's clock), observed as %.0f s "+
					"(count %d, %d of them within 300 s): the worker's clock offset (%v behind), not a wait", h.Sum, h.Count, h.Buckets[300], behind)
			}
		})
	}
}
