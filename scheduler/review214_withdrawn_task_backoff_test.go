package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// An attempt the leader withdraws past its timeout waits out the task's
// own backoff (Task.Backoff), above the cluster's cap, not the cluster's.
// (review214)
func TestWithdrawnAttemptWaitsTheTasksBackoff(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1", func(c *Config) {
		c.TimeoutGrace = 100 * time.Millisecond
		c.Backoff = store.Backoff{Base: time.Second, Max: time.Minute, Rand: func() float64 { return 0.5 }}
	})
	registerWorker(t, root, "stuck", 1, nil) // never runs anything
	ids := submit(t, st, 1, func(_ int, task *store.Task) {
		task.Timeout = store.MillisOf(200 * time.Millisecond)
		task.Retries = 2
		task.Backoff = store.MillisOf(3 * time.Hour)
	})
	var queued *store.Task
	drovertest.WaitFor(t, 20*time.Second, "attempt 2 queued", func() bool {
		data, _, err := st.Get(st.Layout().QueueItem(ids[0]))
		if err != nil {
			return false
		}
		queued, err = store.DecodeTask(data)
		return err == nil && queued.Attempt == 2
	})
	// 3h, and the jitter (half of a fifth here) above it: the cap is the
	// task's backoff and a fifth.
	if want := queued.History[0].FinishedAt.Add(3*time.Hour + 18*time.Minute); len(queued.History) != 1 || !queued.NotBefore.Equal(want) {
		t.Fatalf("attempt 2 not before %v, want %v (withdrawn at %v, the task's 3h backoff and its jitter); history %+v",
			queued.NotBefore, want, queued.History[0].FinishedAt, queued.History)
	}
}
