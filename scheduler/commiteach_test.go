package scheduler

import (
	"errors"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// failedBatch builds, on leader store lst, a term's view of two tasks queued
// and worker w, and has their placement's transaction fail as a rejected
// one does (w's directory deleted under the view): it returns the outcome
// unsettled, so that settle goes on to place them one by one (commitEach).
func failedBatch(t *testing.T, st, lst *store.Store, root string) (l *leader, fence string, ids []string, r batchResult) {
	t.Helper()
	registerWorker(t, root, "w", 4, nil)
	ids = submit(t, st, 2, nil)
	l, fence, _ = termOf(t, lst)
	if err := l.syncWorkers(); err != nil {
		t.Fatal(err)
	}
	if err := l.applyTaskList(nextList(t, l)); err != nil {
		t.Fatal(err)
	}
	if err := l.syncQueueRoot(); err != nil {
		t.Fatal(err)
	}
	if l.nknown != 2 {
		t.Fatalf("view has %d queued, want 2", l.nknown)
	}
	if err := st.Delete(st.Layout().WorkerTasks("w"), -1); err != nil {
		t.Fatal(err)
	}
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	select {
	case r = <-l.results:
	case <-time.After(10 * time.Second):
		t.Fatal("no placement outcome")
	}
	if r.err == nil || errors.Is(r.err, store.ErrFenced) || errors.Is(r.err, store.ErrConnection) || len(r.batch) != 2 {
		t.Fatalf("batch of %d: %v, want both rejected", len(r.batch), r.err)
	}
	return l, fence, ids, r
}

// checkStillQueued checks that ids are queued and nothing was assigned.
func checkStillQueued(t *testing.T, st *store.Store, ids []string) {
	t.Helper()
	if q := drovertest.QueuedIDs(t, st); len(q) != len(ids) {
		t.Fatalf("queued %v, want %v", q, ids)
	}
	if ok, _, err := st.Exists(st.Layout().WorkerTasks("w")); err != nil || ok {
		t.Fatalf("something was assigned (%v)", err)
	}
}

// Placing a failed batch's tasks one by one: each one rejected is read
// again from its queue item and stays queued in the view; a leader whose
// term ended meanwhile writes nothing and ends (ErrFenced); one whose
// connection is lost on the way rebuilds its view (errResync), the tasks
// left queued.
func TestCommitEachErrors(t *testing.T) {
	t.Run("rejected", func(t *testing.T) {
		root := drovertest.NewRoot()
		st := drovertest.OpenStore(t, root)
		l, _, ids, r := failedBatch(t, st, st, root)
		if err := l.settle(r); err != nil {
			t.Fatalf("settle: %v", err)
		}
		for _, id := range ids {
			if q := l.lookup(id); q == nil || q.index < 0 {
				t.Fatalf("%s not queued in the view again", id)
			}
		}
		if l.nknown != 2 || l.ready.Len() != 2 || l.inflight != 0 {
			t.Fatalf("view: %d known, %d ready, %d in flight; want 2, 2, 0", l.nknown, l.ready.Len(), l.inflight)
		}
		checkStillQueued(t, st, ids)
	})
	t.Run("fenced", func(t *testing.T) {
		root := drovertest.NewRoot()
		st := drovertest.OpenStore(t, root)
		l, fence, ids, r := failedBatch(t, st, st, root)
		if err := st.Delete(fence, -1); err != nil { // the session expired: the term is over
			t.Fatal(err)
		}
		if err := l.settle(r); !errors.Is(err, store.ErrFenced) {
			t.Fatalf("settle after the fence went: %v, want ErrFenced", err)
		}
		checkStillQueued(t, st, ids)
	})
	t.Run("connection lost", func(t *testing.T) {
		root := drovertest.NewRoot()
		st := drovertest.OpenStore(t, root)
		px := drovertest.StartProxy(t, drovertest.Addr())
		l, _, ids, r := failedBatch(t, st, drovertest.OpenStoreAt(t, px.Addr(), root), root)
		// The first placement sent on its own goes, and nothing after it.
		px.FreezeAt([]byte(st.Layout().WorkerTasks("w")))
		err := l.settle(r)
		if !errors.Is(err, errResync) {
			t.Fatalf("settle with the connection lost: %v, want errResync", err)
		}
		if !px.Frozen() {
			t.Fatal("the placement was not sent")
		}
		px.Cut(true)
		px.Cut(false)
		checkStillQueued(t, st, ids)
	})
}

// enqueueTooLarge queues, by hand, a task whose record fits a znode as
// queued but not once its assignment's fields are added.
func enqueueTooLarge(t *testing.T, st *store.Store) string {
	t.Helper()
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC(), State: store.StateQueued, Attempt: 1}
	lo, hi := 0, store.MaxRecordSize
	for lo < hi {
		mid := (lo + hi + 1) / 2
		task.Payload = make([]byte, mid)
		if _, err := store.Encode(task); err == nil {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	task.Payload = make([]byte, lo)
	err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error { return txn.Enqueue(task.Clone()) })
	if err != nil {
		t.Fatal(err)
	}
	return task.ID
}

// A queued task whose assignment would not fit a znode cannot be placed as
// it stands: it is moved to deadletter, not tried for ever, and the tasks
// it shared a batch with are placed.
func TestTaskTooLargeToAssignIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	big := enqueueTooLarge(t, st)
	ids := submit(t, st, 2, nil)
	w := registerWorker(t, root, "w", 4, nil)
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 15*time.Second, "the large task moved aside", func() bool {
		ok, _, err := st.Exists(st.Layout().QueueItem(big))
		return err == nil && !ok
	})
	drovertest.WaitFor(t, 10*time.Second, "the other tasks placed", func() bool { return len(w.assignments(t)) == 2 })
	for _, a := range w.assignments(t) {
		if id, _, err := store.ParseAssignmentName(a); err != nil || id == big {
			t.Fatalf("assignment %s (%v)", a, err)
		}
	}
	kids, err := st.Children(st.Layout().Deadletter())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range kids {
		data, _, err := st.Get(st.Layout().Deadletter() + "/" + k)
		if err != nil {
			t.Fatal(err)
		}
		var d store.Deadletter
		if err := store.Decode(data, &d); err != nil {
			t.Fatal(err)
		}
		found = found || d.From == st.Layout().QueueItem(big)
	}
	if !found {
		t.Fatalf("the large task is nowhere: not in deadletter (%d records there)", len(kids))
	}
	if s.Epoch() != 1 || len(ids) != 2 {
		t.Fatalf("epoch %d: the term ended", s.Epoch())
	}
}
