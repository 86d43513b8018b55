package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Stats.HeadWait (drover_queue_head_wait_seconds) says how long a queued
// task first in its line has waited: it grows while the task's labels fit
// no worker, and falls to 0 once a worker that fits takes it. It counts
// from the queue item's creation, not from submitted_at, which is by the
// client's clock: a client an hour behind does not make its tasks read as
// waiting an hour.
func TestHeadWaitGrowsWhileNoWorkerFits(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	registerWorker(t, root, "cpu", 4, nil)
	submitted := time.Now()
	submit(t, st, 3, func(i int, task *store.Task) {
		task.On = map[string]string{"gpu": "true"}
		task.SubmittedAt = time.Now().UTC().Add(-time.Hour) // the client's clock, an hour behind
	})
	drovertest.WaitFor(t, 20*time.Second, "the head's wait past a second", func() bool {
		return s.Stats().HeadWait >= time.Second
	})
	if w := s.Stats().HeadWait; w > time.Since(submitted)+time.Second {
		t.Fatalf("HeadWait %v for tasks queued %v ago by a client an hour behind", w, time.Since(submitted))
	}
	gpu := registerWorker(t, root, "gpu", 4, map[string]string{"gpu": "true"})
	drovertest.WaitFor(t, 20*time.Second, "the tasks placed on gpu", func() bool { return len(gpu.assignments(t)) == 3 })
	drovertest.WaitFor(t, 20*time.Second, "the head's wait back to 0", func() bool { return s.Stats().HeadWait == 0 })
}

// Stats.Delayed (drover_queue_delayed) counts the queued tasks not yet due:
// a task submitted with a start time an hour ahead is queued, delayed, and
// no wait of its line's head.
func TestDelayedCountsTasksNotYetDue(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	submit(t, st, 2, func(i int, task *store.Task) {
		task.On = map[string]string{"gpu": "true"} // no worker: the due one waits too
		if i == 0 {
			task.NotBefore = time.Now().UTC().Add(time.Hour)
		}
	})
	drovertest.WaitFor(t, 20*time.Second, "one delayed of two queued", func() bool {
		st := s.Stats()
		return st.Delayed == 1 && st.Queued["normal"] == 2
	})
}
