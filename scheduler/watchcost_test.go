package scheduler

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestLeaderWatchesCostNoGoroutine: the leader watches each worker's
// registration and assignment directory, each schedule and each queue
// bucket. A goroutine per watch, waiting to forward its one event to the
// loop, came to some 2,600 goroutines with 500 workers and 2,000 schedules,
// and ~340 MB at a takeover of 158,000 queue buckets. A fired watch is
// queued for the loop by the client's callback instead.
func TestLeaderWatchesCostNoGoroutine(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	wst := drovertest.OpenStore(t, root) // the workers' connection
	lay := st.Layout()
	const n = 200
	for i := range n {
		id := fmt.Sprintf("w-%03d", i)
		data, err := store.Encode(&store.WorkerInfo{ID: id, Host: "test", Capacity: 1, StartedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := wst.CreateEphemeral(context.Background(), lay.Worker(id), data); err != nil {
			t.Fatal(err)
		}
		if err := wst.EnsurePath(lay.WorkerTasks(id)); err != nil {
			t.Fatal(err)
		}
	}
	l, _, _ := termOf(t, st)
	base := runtime.NumGoroutine()
	syncWorkerView(t, l, n)
	if len(l.watched) < 2*n {
		t.Fatalf("%d watches recorded, want one on each of %d registrations and directories", len(l.watched), 2*n)
	}
	// A goroutine per watch made 2n for the rest of the term; the
	// listings' goroutines end once their results are taken, and other
	// tests' goroutines winding down make a few dozen either way.
	grown := 0
	if !drovertest.Eventually(10*time.Second, func() bool { grown = runtime.NumGoroutine() - base; return grown <= n/2 }) {
		t.Fatalf("watching %d workers' registrations and directories left %d more goroutines", n, grown)
	}
}
