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
	assignFreezingTheManifestDelete(t, st, px, tasks)
	px.Cut(true)
	px.Cut(false)
	for i, task := range tasks {
		if got := result(t, st, task.ID); got.State != store.StateSucceeded {
			t.Fatalf("task %d: %+v", i, got)
		}
	}
	drovertest.WaitFor(t, 10*time.Second, "manifest deleted", func() bool { return manifestsIn(t, st, "w1") == 0 })
}

// A drain that ends while ZooKeeper is away does not wait for the session
// to come back on account of a manifest delete that was lost: Run returns
// once its attempts are done, where it waited until the cut-off (5/6 of
// the session's timeout; helper review).
func TestDrainWhileAwayDoesNotWaitForALostManifestDelete(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	w, err := New(Config{ID: "w1", Commands: true, Store: drovertest.OpenStoreFor(t, px.Addr(), root, 60*time.Second),
		Capacity: 4, DrainTimeout: 500 * time.Millisecond, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cancel, ran := runRegistered(t, w)
	st := drovertest.OpenStore(t, root)
	tasks := make([]*store.Task, 2)
	for i := range tasks {
		tasks[i] = &store.Task{Cmd: []string{"true"}}
		prepare(t, st, w, tasks[i])
	}
	assignFreezingTheManifestDelete(t, st, px, tasks)
	px.Cut(true) // and ZooKeeper stays away
	w.Drain()
	select {
	case <-ran:
	case <-time.After(20 * time.Second): // the cut-off is at 50 s
		cancel()
		t.Fatal("Run did not return 20 s after a drain of 0.5 s while ZooKeeper was away")
	}
}

// assignFreezingTheManifestDelete assigns tasks to w1 in one batch, with a
// manifest, and returns once w1's delete of that manifest (its path, then
// version -1) was sent to px, which drops it with all that follows until
// the test cuts it.
func assignFreezingTheManifestDelete(t *testing.T, st *store.Store, px *drovertest.Proxy, tasks []*store.Task) {
	t.Helper()
	manifest := st.Layout().WorkerTasks("w1") + "/" + store.ManifestName(store.AssignmentName(tasks[0].ID, 1))
	marker := binary.BigEndian.AppendUint32(nil, uint32(len(manifest)))
	px.FreezeAt(append(append(marker, manifest...), 0xff, 0xff, 0xff, 0xff))
	txn := st.Txn()
	if err := txn.AssignBatch(tasks, ""); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the manifest's delete sent", px.Frozen)
}
