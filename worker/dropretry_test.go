package worker

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A report refused because the task's record exists already (it ran
// twice) deletes its assignment alone; that delete, lost with the
// connection before ZooKeeper saw it, is sent again once the worker is
// back on its session: an assignment left marked running would hold one
// of the worker's slots in the leader's count, and show running, for as
// long as the registration lives.
func TestRefusedReportDropRetriedAfterConnectionLoss(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	w, err := New(Config{ID: "w1", Commands: true, Store: drovertest.OpenStoreAt(t, px.Addr(), root), Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	leader := drovertest.OpenStore(t, root)
	lay := leader.Layout()
	task := &store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"true"}, Attempt: 1}
	// Its record ended already (run elsewhere too).
	done := task.Clone()
	zero := 0
	done.State, done.ExitCode, done.FinishedAt = store.StateSucceeded, &zero, time.Now().UTC()
	if err := leader.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error { return txn.Finish(done) }); err != nil {
		t.Fatal(err)
	}
	// The drop alone: a multi whose last op deletes the assignment at
	// version 1 (marked running). The report's delete is followed by its
	// create.
	path := lay.Assignment("w1", task.ID, 1)
	marker := append([]byte(path), 0, 0, 0, 1)
	marker = binary.BigEndian.AppendUint32(marker, 0xffffffff)
	marker = append(marker, 1, 0xff, 0xff, 0xff, 0xff)
	px.FreezeAt(marker)
	assign(t, leader, w, task)
	drovertest.WaitFor(t, 20*time.Second, "the drop sent and dropped", px.Frozen)
	px.Cut(true)
	px.Cut(false)
	drovertest.WaitFor(t, 20*time.Second, "the assignment deleted", func() bool { return !exists(t, leader, path) })
}
