package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// ARCHITECTURE.md: "No directory can outgrow one getChildren reply
// (jute.maxbuffer, 1 MB)", and issue 5 asks for no child list near
// jute.maxbuffer. Queue and result buckets are bounded (MaxBucketTasks), but
// a worker's assignment directory tasks/<w> holds as many assignments as its
// capacity, and nothing bounds the capacity (worker.Config.Capacity, drover
// worker --capacity: only "at least 1"). A worker of capacity 40,000 (a Go
// handler waiting on I/O, say) with that much work queued gets 40,000
// assignments in one directory: a listing of about 1.3 MB, which zkCli.sh
// (1 MB jute.maxbuffer) cannot read, and which the leader and the worker
// list again on every change.
func TestReview124WorkerDirectoryOutgrowsOneListing(t *testing.T) {
	// A registration of capacity 40,000 (an older release's), and more
	// work queued than the leader may place on it.
	const n, capacity = store.MaxCapacity + 2000, 40000
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "big", capacity, nil)
	now := time.Now().UTC()
	tasks := make([]*store.Task, n)
	for i := range tasks {
		tasks[i] = &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now}
	}
	for i := 0; i < n; i += 4000 {
		if _, err := st.Submit(context.Background(), tasks[i:i+4000]); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := runScheduler(t, st, "s1")
	// The leader fills the worker up to MaxCapacity; the rest stays queued.
	placed := 0
	drovertest.WaitFor(t, 90*time.Second, "the worker filled to MaxCapacity", func() bool {
		placed = len(w.assignments(t))
		return placed >= store.MaxCapacity
	})
	drovertest.WaitFor(t, 30*time.Second, "the rest in the leader's queue", func() bool { return s.Stats().Queued["normal"] == n-store.MaxCapacity })
	if placed = len(w.assignments(t)); placed != store.MaxCapacity {
		t.Fatalf("%d placed on a worker registered with capacity %d: want %d, MaxCapacity", placed, capacity, store.MaxCapacity)
	}
	kids, err := w.st.Children(st.Layout().WorkerTasks("big"))
	if err != nil {
		t.Fatal(err)
	}
	bytes := 0
	for _, k := range kids {
		bytes += 4 + len(k) // a string each in the reply: length and bytes
	}
	const juteMaxBuffer = 1 << 20
	if bytes >= juteMaxBuffer {
		t.Fatalf("worker directory %s holds %d names (%d assignments), a listing of %d bytes: past jute.maxbuffer (%d), "+
			"because a worker's capacity is unbounded and the leader fills it", st.Layout().WorkerTasks("big"), len(kids), placed, bytes, juteMaxBuffer)
	}
}
