package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review138: "A leader places a task first where a slot is free" (README),
// "a free slot anywhere comes before a prefetch slot" (ARCHITECTURE.md).
// Not for a retry: pickWorker takes the worker its last attempt ran on
// (avoid) only when no other fits, and a prefetch slot on a busy worker now
// "fits". The retry waits there behind a long attempt while the worker it
// failed on stands idle; without a prefetch it ran there at once.
func TestReview138RetryPrefetchedBehindBusyWorkerWhileAnotherIsFree(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	x := registerWorkerInfo(t, root, &store.WorkerInfo{ID: "x", Host: "test", Capacity: 1, Prefetch: 1, StartedAt: time.Now()})
	y := registerWorkerInfo(t, root, &store.WorkerInfo{ID: "y", Host: "test", Capacity: 1, Prefetch: 1,
		Labels: map[string]string{"only": "y"}, StartedAt: time.Now()})
	runScheduler(t, st, "s1")

	// y's one slot is busy with a long task (only y has its label).
	busy := submit(t, st, 1, func(_ int, task *store.Task) { task.On = map[string]string{"only": "y"} })[0]
	drovertest.WaitFor(t, 10*time.Second, "the long task on y", func() bool {
		got := y.assignments(t)
		return len(got) == 1 && strings.HasPrefix(got[0], busy)
	})

	// A task whose first attempt failed on x, queued for its second; x is
	// idle, its slot free.
	now := time.Now().UTC()
	retry := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: now.Add(-time.Minute), Retries: 3, Attempt: 2,
		History: []store.Attempt{{N: 1, Worker: "x", StartedAt: now.Add(-time.Second), FinishedAt: now, ExitCode: 1}}}
	if _, err := st.Submit(context.Background(), []*store.Task{retry}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the retry placed", func() bool {
		return len(x.assignments(t)) == 1 || len(y.assignments(t)) == 2
	})
	if got := y.assignments(t); len(got) == 2 {
		t.Fatalf("the retry went to y's prefetch slot (y holds %v, its one slot busy with %s) while x, idle, has its slot free (x holds %v)",
			got, busy, x.assignments(t))
	}
}
