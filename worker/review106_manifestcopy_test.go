package worker

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestManifestCopyOfAnotherRegistrationDoesNotHideTheAssignment: a
// manifest in the worker's directory is only a copy of its assignments;
// one whose copy disagrees with the assignment it names is malformed,
// and the assignment itself is the truth. The worker takes a copy whose
// reg is not its registration's for the assignment and leaves it ("of an
// earlier registration: left to the leader") without reading the
// assignment, which is this registration's: the attempt never runs, and
// the leader, which counts it as this worker's, never places it again.
// (A copy at the wrong version is read again; one of the wrong
// registration is not.)
func TestManifestCopyOfAnotherRegistrationDoesNotHideTheAssignment(t *testing.T) {
	root := drovertest.NewRoot()
	w, _, _ := startWorker(t, root, "w1", nil)
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	mk := func(reg int64) *store.Task {
		return &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Attempt: 1, Worker: "w1", Reg: reg,
			State: store.StateAssigned, SubmittedAt: time.Now().UTC(), AssignedAt: time.Now().UTC()}
	}
	a, b := mk(w.Reg()), mk(w.Reg())
	for _, task := range []*store.Task{a, b} {
		if err := st.EnsureBuckets(task.ID); err != nil {
			t.Fatal(err)
		}
	}
	// The manifest's copy of a says another registration's.
	stale := a.Clone()
	stale.Reg = w.Reg() - 1
	recA, err := store.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	recB, err := store.Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	copyA, err := store.Encode(stale)
	if err != nil {
		t.Fatal(err)
	}
	manifest := `{"v":1,"tasks":[` + string(copyA) + `,` + string(recB) + `]}`
	dir := lay.WorkerTasks("w1")
	txn := st.Txn()
	txn.Create(dir+"/"+store.AssignmentName(a.ID, 1), recA)
	txn.Create(dir+"/"+store.AssignmentName(b.ID, 1), recB)
	txn.Create(dir+"/"+store.ManifestName(store.AssignmentName(a.ID, 1)), []byte(manifest))
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	result(t, st, b.ID) // the manifest's good copy runs
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := st.WaitResult(ctx, a.ID); err != nil {
		t.Fatalf("assignment %s of this registration, whose manifest copy names another registration: %v (never run; its assignment is still there: %v)",
			a.ID, err, exists(t, st, lay.Assignment("w1", a.ID, 1)))
	}
}
