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
	const n = 40000
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "big", n, nil)
	now := time.Now().UTC()
	tasks := make([]*store.Task, n)
	for i := range tasks {
		tasks[i] = &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now}
	}
	for i := 0; i < n; i += 5000 {
		if _, err := st.Submit(context.Background(), tasks[i:i+5000]); err != nil {
			t.Fatal(err)
		}
	}
	runScheduler(t, st, "s1")
	// Either the leader places them all, or it stops short of a directory
	// one listing cannot hold; the size is what is asserted.
	placed := 0
	drovertest.Eventually(90*time.Second, func() bool { placed = len(w.assignments(t)); return placed == n })
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
