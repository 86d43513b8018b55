package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// drover_queue_head_wait_seconds is reported once the leader's view is
// ready (Stats.ViewReady), as drover_queue_depth is; but HeadWait is only
// set at the leader's first look a second later: a new leader (after each
// failover, and each view rebuild's first second) reads 0, "none queued",
// while tasks have waited a minute, and a scrape then resets an alert on
// a wait that "stays above" a bound. (review205)
func TestHeadWaitKnownOnceTheViewIsReady(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	submit(t, st, 3, func(i int, task *store.Task) {
		task.On = map[string]string{"gpu": "true"} // no worker takes them
	})
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "s1 leading with its view", func() bool {
		st := s.Stats()
		return st.Leader && st.ViewReady
	})
	if w := s.Stats().HeadWait; w <= 0 {
		t.Fatalf("view ready with 3 tasks queued before the scheduler started: HeadWait %v, want their wait", w)
	}
}
