package scheduler

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review112.

// TestTaskMovedAsideFromTheWrongBucketGivesUpItsKey: Quarantine keeps a
// task's idempotency key when what it moves aside is a stray copy
// (store.livesElsewhere, cc85d93). But a queue item in a bucket not its
// own is taken for a stray copy at once, without looking whether the task
// is anywhere else: when that item is the task's only record, the task is
// moved to deadletter and its key and key index entry stay, naming a task
// that exists nowhere. Every later submit with the key then answers
// "existing" with that task id (drover submit --key K prints it, exit 0,
// and runs nothing; drover status ID: not found), for good: the key is
// only taken over once its entry is gone (store.orphanedKey), and no
// result will ever come to drop the entry with. Quarantine's own comment
// says the entry must go with the task for exactly this reason.
func TestTaskMovedAsideFromTheWrongBucketGivesUpItsKey(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	ctx := context.Background()
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "nightly-2026-12-04", SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(ctx, []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	// Its queue item, the task's only record, lands in another bucket (a
	// restore by hand, another program): the task is there and nowhere else.
	item := lay.QueueItem(task.ID)
	data, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	other := ulid.MustNew(ulid.Timestamp(time.Now().Add(-time.Hour)), rand.Reader).String()
	if err := st.EnsureBuckets(other); err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(other)
	moved := lay.QueueBucket(b1, b2) + "/" + task.ID
	if err := st.Create(moved, data); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(item, stat.Version); err != nil {
		t.Fatal(err)
	}

	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "the item in the wrong bucket moved aside", func() bool {
		ok, _, err := st.Exists(moved)
		return err == nil && !ok
	})
	if _, _, err := st.LookupTask(task.ID); !errors.Is(err, store.ErrUnknownTask) {
		t.Fatalf("task %s after its only record was moved aside: %v, want it unknown", task.ID, err)
	}
	again := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: task.Key, SubmittedAt: time.Now().UTC()}
	res, err := st.Submit(ctx, []*store.Task{again})
	if err != nil {
		t.Fatal(err)
	}
	entry, _, _ := st.Exists(lay.KeyIndexItem(task.ID))
	if res[0].Existing {
		t.Fatalf("submit with key %q answered existing task %s, which is nowhere (moved to deadletter; its key index entry still there: %v): "+
			"the key was kept as if the moved item were a stray copy", task.Key, res[0].ID, entry)
	}
}
