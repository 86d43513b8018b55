package scheduler

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A queued task's index entry is meant to be small (~110 – 140 bytes, see
// maxKept and BenchmarkQueuedMemory), so that the leader holds 1,000,000
// queued tasks within 512 MB of RSS (issue 5; PERFORMANCE.md measured 339
// – 386 MB with no-op tasks). Its labels (--on) are kept as the map each
// record decoded into (queued.on = t.On), one map per task, though every
// task of a shape has the same labels and the shape already names them: a
// task with one label costs about three times what one without costs, and a
// million such tasks alone take about as much heap as the whole 512 MB. The
// test builds a leader's view of the same number of queued tasks from
// ZooKeeper, with and without one label, and compares the heap each view
// holds per task.
func TestReview124QueuedLabelsCostAMapPerTask(t *testing.T) {
	defer func(n int) { maxKept = n }(maxKept)
	maxKept = 0 // the index entries alone, no kept records
	const n = 30000
	perTask := func(on map[string]string) float64 {
		st := drovertest.OpenStore(t, drovertest.NewRoot())
		now := time.Now().UTC()
		tasks := make([]*store.Task, n)
		for i := range tasks {
			tasks[i] = &store.Task{ID: store.NewTaskID(now), Handler: "noop", On: on, SubmittedAt: now}
		}
		for i := 0; i < n; i += 5000 {
			if _, err := st.Submit(context.Background(), tasks[i:i+5000]); err != nil {
				t.Fatal(err)
			}
		}
		tasks = nil
		l, _, stop := termOf(t, st)
		defer stop()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := l.syncQueueRoot(); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if l.nknown != n {
			t.Fatalf("view holds %d queued tasks, want %d", l.nknown, n)
		}
		runtime.KeepAlive(l)
		return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
	}
	plain := perTask(nil)
	labelled := perTask(map[string]string{"pool": "batch"})
	t.Logf("heap per queued task: %.0f bytes without labels, %.0f with one label (at 1,000,000 queued: %.0f MB and %.0f MB of live heap)",
		plain, labelled, plain, labelled)
	if labelled > plain+64 {
		t.Fatalf("a queued task with one label costs the leader %.0f bytes of heap, one without %.0f: each keeps a map of its own "+
			"(queued.on), though its shape names the same labels; 1,000,000 labelled tasks hold %.0f MB of live heap in the view, "+
			"against the 512 MB of RSS promised at 1,000,000 queued", labelled, plain, labelled)
	}
}
