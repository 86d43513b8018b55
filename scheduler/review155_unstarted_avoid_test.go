package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review155: placement takes "the worker its last attempt ran on" (avoid)
// last, so that a worker that fails everything at once does not take every
// retry (pickWorker). A retry that a draining worker hands back (or that a
// lost worker never started) gets an unstarted attempt appended, and
// newQueued takes the avoided worker from the last history entry, run or
// not: the unstarted attempt's worker (draining or gone) is avoided, and
// the worker the task actually failed on is no longer. Before hand-backs a
// drain ran such a retry where it was prefetched; now it goes straight back
// to the worker it failed on while another has room.
func TestReview155HandedBackRetryForgetsTheWorkerItFailedOn(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	x := registerWorker(t, root, "x", 2, map[string]string{"on": "x"}) // attempt 1 failed here
	z := registerWorker(t, root, "z", 3, map[string]string{"on": "z"}) // healthy
	busy := &store.Task{ID: ulid.Make().String(), Cmd: []string{"sleep", "1h"}, SubmittedAt: time.Now().UTC(), Attempt: 1}
	assignByHand(t, z, busy)
	runScheduler(t, st, "s1")
	// One task on each, by label, so the leader has listed both: x holds
	// 1 of 2 slots, z 2 of 3 (x the less loaded, by fraction).
	for _, w := range []*fakeWorker{x, z} {
		submit(t, st, 1, func(_ int, task *store.Task) { task.On = map[string]string{"on": w.id} })
	}
	drovertest.WaitFor(t, 15*time.Second, "a probe on each", func() bool {
		return len(x.assignments(t)) == 1 && len(z.assignments(t)) == 2
	})

	// Attempt 1 failed on x; attempt 2 was prefetched on w2, which drained
	// and gave it back unstarted (as worker.handBack writes it): queued as
	// attempt 3.
	now := time.Now().UTC()
	retry := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: now.Add(-time.Minute), Retries: 3, Attempt: 3,
		History: []store.Attempt{
			{N: 1, Worker: "x", StartedAt: now.Add(-30 * time.Second), FinishedAt: now.Add(-29 * time.Second), ExitCode: 1, Error: "exit status 1"},
			{N: 2, Worker: "w2", FinishedAt: now, ExitCode: -1, Error: "handed back unstarted: the worker drained", Unstarted: true},
		}}
	// Queued as the hand-back queues it (store.Txn.Enqueue, history and all).
	if err := st.CommitCreatingBuckets([]string{retry.ID}, func(txn *store.Txn) error { return txn.Enqueue(retry) }); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 15*time.Second, "the retry placed", func() bool {
		return len(x.assignments(t)) == 2 || len(z.assignments(t)) == 3
	})
	if got := x.assignments(t); len(got) == 2 && (strings.HasPrefix(got[0], retry.ID) || strings.HasPrefix(got[1], retry.ID)) {
		t.Fatalf("attempt 3 went back to x, the worker attempt 1 failed on, while z had a free slot (z holds %v): "+
			"the unstarted attempt on w2 took x's place as the worker to avoid", z.assignments(t))
	}
}
