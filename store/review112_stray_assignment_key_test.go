package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review112.

// TestStrayAssignmentCopyTakesNotThePlacedTasksKey: cc85d93 made Quarantine
// keep a task's idempotency key when what it moves aside is a stray copy
// (livesElsewhere): a copy in another queue bucket, or any copy while the
// task has its queue item or its result. A task that is placed has
// neither: it lives in its worker's directory, as the assignment of its
// current attempt. A stray copy of it in another worker's directory (an
// earlier attempt's left behind, junk written there), moved aside, is
// taken for the task itself: its key and key index entry go while the
// task runs on, and the next submit with the key makes a second task,
// which runs the same work again, the very loss of the idempotency
// promise the fix was for.
func TestStrayAssignmentCopyTakesNotThePlacedTasksKey(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	ctx := context.Background()
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "nightly-2026-12-04", SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(ctx, []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	// Placed on w2, attempt 2 (its queue item goes as its assignment is
	// made, as the leader's placement does).
	item := lay.QueueItem(task.ID)
	data, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	placed, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	placed.Attempt, placed.State, placed.Worker = 2, store.StateAssigned, "w2"
	live, err := store.Encode(placed)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"w1", "w2"} {
		if err := st.EnsurePath(lay.WorkerTasks(w)); err != nil {
			t.Fatal(err)
		}
	}
	txn := st.Txn()
	txn.Delete(item, stat.Version)
	txn.Create(lay.Assignment("w2", task.ID, 2), live)
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	// A stray copy under w1, named for attempt 1, that does not decode.
	stray := lay.Assignment("w1", task.ID, 1)
	if err := st.Create(stray, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	if err := st.Quarantine(stray, []byte("junk"), 0, fmt.Errorf("%w: junk", store.ErrMalformed)); err != nil {
		t.Fatal(err)
	}
	if _, loc, err := st.LookupTask(task.ID); err != nil || loc.Path != lay.Assignment("w2", task.ID, 2) {
		t.Fatalf("the task after its stray copy went: %v at %q", err, loc.Path)
	}
	again := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: task.Key, SubmittedAt: time.Now().UTC()}
	res, err := st.Submit(ctx, []*store.Task{again})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Existing || res[0].ID != task.ID {
		entry, _, _ := st.Exists(lay.KeyIndexItem(task.ID))
		t.Fatalf("submit with the key of task %s, placed on w2 and running: %+v (key index entry left: %v): moving a stray copy of it aside "+
			"from w1's directory dropped its key, and the same key made a second task", task.ID, res[0], entry)
	}
}
