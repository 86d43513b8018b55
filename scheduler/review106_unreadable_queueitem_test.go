package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestUnreadableQueueItemDoesNotStopPlacement: one znode in the queue that
// the leader cannot read (an ACL without read, set by hand or by another
// program) must be passed over, logged, and the rest of the queue placed,
// as retention passes over such a znode under results/ (FAILURES.md). The
// leader's listing of the bucket (addRead) returns the read's error
// instead, which ends the term; every term that follows lists the queue,
// meets it again and ends the same way. No task of the cluster is ever
// placed while it stands.
func TestUnreadableQueueItemDoesNotStopPlacement(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	odd := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{odd}); err != nil {
		t.Fatal(err)
	}
	item := lay.QueueItem(odd.ID)
	setACL(t, item, "world:anyone:cdwa")
	t.Cleanup(func() { setACL(t, item, "world:anyone:cdrwa") })
	w := registerWorker(t, root, "w1", 10, nil)
	good := submit(t, st, 5, nil)
	runScheduler(t, st, "s1")
	ok := drovertest.Eventually(20*time.Second, func() bool { return len(w.assignments(t)) == len(good) })
	if !ok {
		t.Fatalf("placed %d of %d good tasks while one queue item cannot be read: the leader's terms end at it, one after another", len(w.assignments(t)), len(good))
	}
}
