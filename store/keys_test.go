package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A key with no key index entry (one made before the key index, or whose
// entry was moved aside) stands while its task is kept, queued or
// finished, and is dropped once the task is gone, so that its key submits
// a task again.
func TestKeyWithoutEntryStandsWhileItsTaskIsKept(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	submit := func() store.SubmitResult {
		t.Helper()
		task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
		res, err := st.Submit(context.Background(), []*store.Task{task})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	first := submit()
	if err := st.Delete(lay.KeyIndexItem(first.ID), -1); err != nil {
		t.Fatal(err)
	}
	if got := submit(); !got.Existing || got.ID != first.ID {
		t.Fatalf("submit with the key of a queued task: %+v, want %s", got, first.ID)
	}
	task, _, err := st.LookupTask(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	done := task.Clone()
	done.State, done.FinishedAt = store.StateCancelled, time.Now().UTC()
	if err := st.CommitCreatingBuckets([]string{first.ID}, func(txn *store.Txn) error {
		txn.Delete(lay.QueueItem(first.ID), -1)
		return txn.Finish(done)
	}); err != nil {
		t.Fatal(err)
	}
	if got := submit(); !got.Existing || got.ID != first.ID {
		t.Fatalf("submit with the key of a finished task: %+v, want %s", got, first.ID)
	}
	if err := st.Delete(lay.Result(first.ID), -1); err != nil {
		t.Fatal(err)
	}
	second := submit()
	if second.Existing || second.ID == first.ID {
		t.Fatalf("submit with the key of a task gone: %+v, want a new task", second)
	}
	if got := submit(); !got.Existing || got.ID != second.ID {
		t.Fatalf("submit with the key again: %+v, want %s", got, second.ID)
	}
}
