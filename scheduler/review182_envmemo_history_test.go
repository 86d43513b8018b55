package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Issue 5: "scheduler memory proportional to work in flight, never to
// history". A worker's env judgements (slot.envSeen, envFitsMemo) are kept
// by a shape's variable names for as long as the registration is not read
// again, bounded by their number (maxEnvSeen = 4,096) but not by their
// size: each key is a slice of the shape's interned key (cutLabel of
// shape.key.Value()), so it pins that whole string, up to a task record's
// size (store.MaxRecordSize, 960 KB), after the shape's last task is long
// gone. Tasks whose variable names differ from task to task (names carrying
// a job's id, say), once finished, leave the leader holding up to 4,096 of
// their name sets per worker with an env rule: some 40 MB per worker at 10
// KB of names, up to ~3.9 GB per worker at the record's bound, with nothing
// queued at all. The test runs a term's loop over a worker with an env rule,
// lets 120 tasks of distinct ~10 KB name sets be placed and finished, and
// counts what the worker's memo still holds once nothing is queued or
// placed.
func TestReview182EnvMemoHoldsFinishedTasksNames(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	l, _, _ := termOf(t, st)
	w := registerWorkerInfo(t, root, &store.WorkerInfo{ID: "w1", Host: "test", Capacity: 8, StartedAt: time.Now(),
		EnvRule: true, AllowEnv: []string{"JOB_*"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.run(ctx) }()
	stopped := false
	stopLoop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("leader loop: %v", err)
			}
		}
	}
	defer stopLoop()

	const n, names = 120, 20
	pad := strings.Repeat("X", 500)
	ids := submit(t, st, n, func(i int, task *store.Task) {
		task.Env = map[string]string{}
		for j := range names {
			task.Env[fmt.Sprintf("JOB_%d_%d_%s", i, j, pad)] = "1"
		}
	})
	finished := 0
	drovertest.WaitFor(t, 60*time.Second, "every task placed and finished", func() bool {
		for _, name := range w.assignments(t) {
			w.finish(t, name)
		}
		finished = 0
		for _, id := range ids {
			if ok, _, err := st.Exists(st.Layout().Result(id)); err == nil && ok {
				finished++
			}
		}
		return finished == n
	})
	// The leader has seen the reports: nothing counted on the worker.
	drovertest.WaitFor(t, 20*time.Second, "the queue and the worker empty in ZooKeeper", func() bool {
		return len(drovertest.QueuedIDs(t, st)) == 0 && len(w.assignments(t)) == 0
	})
	stopLoop()
	view := l.workers["w1"]
	if view == nil {
		t.Fatal("worker w1 not in the view")
	}
	held, bytes := len(view.envSeen), 0
	for k := range view.envSeen {
		bytes += len(k)
	}
	t.Logf("queued in the view: %d; worker w1 used %d; its env memo holds %d name sets, %d bytes of keys", l.nknown, view.Used, held, bytes)
	if l.nknown == 0 && bytes > 64<<10 {
		t.Fatalf("with nothing queued, worker w1's env memo still holds %d name sets of finished tasks, %d bytes of keys "+
			"(each pinning its shape's interned key): bounded by count only (maxEnvSeen %d), the leader keeps up to "+
			"%d x a task's names per worker (up to ~3.9 GB at store.MaxRecordSize), memory that grows with history, not work in flight",
			held, bytes, maxEnvSeen, maxEnvSeen)
	}
}
