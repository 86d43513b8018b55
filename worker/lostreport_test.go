package worker

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A report that queues the next attempt, applied but its reply lost, is
// counted as reported even when the leader placed that next attempt before
// the worker was back to confirm it: the queue item landed() looks for is
// gone by then (placed), and the worker counted the posted outcome as
// unreported and logged "report rejected: assignment withdrawn". With the
// default backoff (1 s) the leader places the retry well before a client
// notices a dead link (two thirds of the session timeout).
func TestLostReplyOfARetryPlacedBeforeTheWorkerConfirms(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	w, err := New(Config{ID: "w1", Commands: true, Store: drovertest.OpenStoreAt(t, px.Addr(), root), Log: drovertest.Logger(t),
		Backoff: Backoff{Base: time.Millisecond, Max: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	leader := drovertest.OpenStore(t, root)
	lay := leader.Layout()
	task := &store.Task{Shell: true, Retries: 1, Cmd: []string{`exit 3`}}
	task.ID = store.NewTaskID(time.Now())
	px.DropRepliesAfter([]byte(lay.QueueItem(task.ID)))
	path := assign(t, leader, w, task)
	var queued *store.Task
	var version int32
	drovertest.WaitFor(t, 10*time.Second, "attempt 2 queued (the report applied)", func() bool {
		data, st, err := leader.Get(lay.QueueItem(task.ID))
		if err != nil {
			return false
		}
		version = st.Version
		queued, err = store.DecodeTask(data)
		return err == nil
	})
	if exists(t, leader, path) {
		t.Fatal("the report was applied, yet its assignment stands")
	}
	// The leader places attempt 2 on another worker, as its placement does:
	// the queue item goes, the assignment comes, in one transaction.
	if err := leader.EnsurePath(lay.WorkerTasks("w2")); err != nil {
		t.Fatal(err)
	}
	next := queued.Clone()
	next.Worker, next.Reg, next.AssignedAt = "w2", 1, time.Now().UTC()
	txn := leader.Txn()
	txn.Delete(lay.QueueItem(task.ID), version)
	if err := txn.Assign(next); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	px.Cut(true)
	px.Cut(false)
	drovertest.WaitFor(t, 20*time.Second, "the report settled", func() bool {
		s := w.Stats()
		return s.Reported+s.Unreported == 1
	})
	if s := w.Stats(); s.Reported != 1 || s.Unreported != 0 {
		t.Fatalf("stats %+v: the outcome was posted (attempt 2 was queued from it), want it counted as reported", s)
	}
}
