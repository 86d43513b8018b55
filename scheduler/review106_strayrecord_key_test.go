package scheduler

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestStrayCopyOfAFinishedTaskTakesNotItsKey: a znode that holds a task's
// record where that task is not (a copy in the wrong queue bucket, say)
// is malformed and moved to deadletter, as it is. But Quarantine takes
// every record named after a task id for that task's own: with the stray
// copy go the task's key index entry and its idempotency key, though the
// task itself stands, finished, at its result, untouched. The next submit
// with that key then creates a second task instead of returning the
// first: junk elsewhere has lost good data (the key), and the
// idempotency promise with it.
func TestStrayCopyOfAFinishedTaskTakesNotItsKey(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	ctx := context.Background()
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "nightly-2026-12-04", SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(ctx, []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	// Its record as queued (copied below), then it ran and succeeded (as a
	// worker's report would file it).
	data, _, err := st.Get(lay.QueueItem(task.ID))
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Succeed(t, st, task.ID)
	// A stray copy of its record in another queue bucket.
	other := ulid.MustNew(ulid.Timestamp(time.Now().Add(-time.Hour)), rand.Reader).String() // another bucket
	if err := st.EnsureBuckets(other); err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(other)
	stray := lay.QueueBucket(b1, b2) + "/" + task.ID
	if err := st.Create(stray, data); err != nil {
		t.Fatal(err)
	}

	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "the stray copy moved aside", func() bool {
		ok, _, err := st.Exists(stray)
		return err == nil && !ok
	})
	if ok, _, err := st.Exists(lay.Result(task.ID)); err != nil || !ok {
		t.Fatalf("the task's result: %v %v", ok, err)
	}
	again := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: task.Key, SubmittedAt: time.Now().UTC()}
	res, err := st.Submit(ctx, []*store.Task{again})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Existing || res[0].ID != task.ID {
		t.Fatalf("submit with the key of finished task %s: %+v: moving a stray copy of its record aside dropped its key (and key index entry), and the same key made a second task", task.ID, res[0])
	}
}
