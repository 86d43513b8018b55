package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Stats.HeadWait (drover_queue_head_wait_seconds) says how long a queued
// task first in its line has waited: it grows while the task's labels fit
// no worker, and falls to 0 once a worker that fits takes it.
func TestHeadWaitGrowsWhileNoWorkerFits(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	registerWorker(t, root, "cpu", 4, nil)
	submit(t, st, 3, func(i int, task *store.Task) {
		task.On = map[string]string{"gpu": "true"}
		task.SubmittedAt = time.Now().UTC().Add(-time.Minute) // queued a minute ago
	})
	drovertest.WaitFor(t, 20*time.Second, "the head's wait reported", func() bool {
		return s.Stats().HeadWait >= time.Minute
	})
	if w := s.Stats().HeadWait; w > 5*time.Minute {
		t.Fatalf("HeadWait %v for tasks queued a minute ago", w)
	}
	gpu := registerWorker(t, root, "gpu", 4, map[string]string{"gpu": "true"})
	drovertest.WaitFor(t, 20*time.Second, "the tasks placed on gpu", func() bool { return len(gpu.assignments(t)) == 3 })
	drovertest.WaitFor(t, 20*time.Second, "the head's wait back to 0", func() bool { return s.Stats().HeadWait == 0 })
}
