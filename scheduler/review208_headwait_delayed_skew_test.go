package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A task submitted with --in or --at (a first attempt with a not_before)
// by a client whose clock is an hour behind the leader's is ready at once
// by the leader's clock, and has waited since its queue item's creation,
// as a task submitted without one has (review205): its wait counted from
// its not_before, by the client's clock, and drover_queue_head_wait_seconds
// read an hour. (Found by review208.)
func TestHeadWaitOfADelayedTaskFromAClientBehind(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	registerWorker(t, root, "cpu", 4, nil)
	submitted := time.Now()
	submit(t, st, 3, func(i int, task *store.Task) {
		task.On = map[string]string{"gpu": "true"}
		behind := time.Now().UTC().Add(-time.Hour)                         // the client's clock, an hour behind
		task.SubmittedAt, task.NotBefore = behind, behind.Add(time.Second) // --in 1s
	})
	drovertest.WaitFor(t, 20*time.Second, "the head's wait past a second", func() bool {
		return s.Stats().HeadWait >= time.Second
	})
	if w := s.Stats().HeadWait; w > time.Since(submitted)+time.Second {
		t.Fatalf("HeadWait %v for delayed tasks queued %v ago by a client an hour behind", w, time.Since(submitted))
	}
}
