package worker

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A manifest the worker read and failed to delete (its connection lost
// with the request) is deleted once the session is back: the worker took
// it for done when it tried, and the manifest, a copy of every assignment
// it came with, stayed until the registration ended, one more for each
// unlucky blip of a long-lived worker (helper review).
func TestManifestWhoseDeleteFailedIsDeletedOnceBack(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	w, err := New(Config{ID: "w1", Commands: true, Store: drovertest.OpenStoreAt(t, px.Addr(), root), Capacity: 4, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	st := drovertest.OpenStore(t, root)
	tasks := make([]*store.Task, 3)
	for i := range tasks {
		tasks[i] = &store.Task{Cmd: []string{"echo", fmt.Sprint("task ", i)}}
		prepare(t, st, w, tasks[i])
	}
	// The delete of the manifest (its path, then version -1) is dropped
	// on its way, with all that follows until the cut.
	manifest := st.Layout().WorkerTasks("w1") + "/" + store.ManifestName(store.AssignmentName(tasks[0].ID, 1))
	marker := binary.BigEndian.AppendUint32(nil, uint32(len(manifest)))
	marker = append(append(marker, manifest...), 0xff, 0xff, 0xff, 0xff)
	px.FreezeAt(marker)
	txn := st.Txn()
	if err := txn.AssignBatch(tasks, ""); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the manifest's delete sent", px.Frozen)
	px.Cut(true)
	px.Cut(false)
	for i, task := range tasks {
		if got := result(t, st, task.ID); got.State != store.StateSucceeded {
			t.Fatalf("task %d: %+v", i, got)
		}
	}
	drovertest.WaitFor(t, 10*time.Second, "manifest deleted", func() bool { return manifestsIn(t, st, "w1") == 0 })
}
