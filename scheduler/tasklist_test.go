package scheduler

import (
	"context"
	"errors"
	"path"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// nextList waits for a listing of a worker's directory made off the loop.
func nextList(t *testing.T, l *leader) taskList {
	t.Helper()
	select {
	case r := <-l.lists:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no listing")
	}
	return taskList{}
}

// A listing issued before the view was rebuilt is dropped: the rebuilt
// view's own listing, still in flight, is what makes the worker placeable.
func TestListingFromBeforeARebuildIsDropped(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "w", 1, nil)
	l, _, _ := termOf(t, st)
	if err := l.syncWorkers(); err != nil {
		t.Fatal(err)
	}
	before := nextList(t, l)
	l.reset()
	if err := l.syncWorkers(); err != nil {
		t.Fatal(err)
	}
	w := l.workers["w"]
	if err := l.applyTaskList(before); err != nil {
		t.Fatal(err)
	}
	if !w.listing || w.listedOnce {
		t.Fatalf("a listing from before the rebuild was applied (listing %v, listed once %v)", w.listing, w.listedOnce)
	}
	if err := l.applyTaskList(nextList(t, l)); err != nil {
		t.Fatal(err)
	}
	if w.listing || !w.listedOnce {
		t.Fatalf("the rebuilt view's listing was not applied (listing %v, listed once %v)", w.listing, w.listedOnce)
	}
}

// A listing made for an earlier registration of a worker is left to the
// new registration's own listing, which recovers the earlier one's attempt
// (never started: attempt 2 queued) and counts nothing of it.
func TestListingOfAnEarlierRegistrationIsLeftToTheNewOne(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	old := registerWorker(t, root, "w", 1, nil)
	p := orphanAssignment(t, st, "w", func(task *store.Task) { task.Reg = old.reg })
	id, _, err := store.ParseAssignmentName(path.Base(p))
	if err != nil {
		t.Fatal(err)
	}
	l, _, _ := termOf(t, st)
	if err := l.syncWorkers(); err != nil {
		t.Fatal(err)
	}
	earlier := nextList(t, l)
	old.st.Close()
	waitGone(t, st, 10*time.Second, st.Layout().Worker("w"))
	fresh := registerWorker(t, root, "w", 1, nil)
	if err := l.syncWorker("w"); err != nil {
		t.Fatal(err)
	}
	w := l.workers["w"]
	if w.reg != fresh.reg {
		t.Fatalf("view of registration %d, want the new one, %d", w.reg, fresh.reg)
	}
	if err := l.applyTaskList(earlier); err != nil {
		t.Fatal(err)
	}
	if !w.listing || w.listedOnce || len(w.checked) != 0 {
		t.Fatalf("the earlier registration's listing was applied to the new one (listing %v, listed once %v, counted %v)",
			w.listing, w.listedOnce, w.checked)
	}
	if ok, _, err := st.Exists(p); err != nil || !ok {
		t.Fatalf("the earlier registration's attempt went before the new listing (%v)", err)
	}
	if err := l.applyTaskList(nextList(t, l)); err != nil {
		t.Fatal(err)
	}
	if !w.listedOnce || len(w.checked) != 0 {
		t.Fatalf("listed once %v, counted %v: want listed, nothing counted", w.listedOnce, w.checked)
	}
	waitGone(t, st, time.Second, p)
	data, _, err := st.Get(st.Layout().QueueItem(id))
	if err != nil {
		t.Fatal(err)
	}
	q, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	if q.Attempt != 2 || len(q.History) != 1 || !q.History[0].Unstarted {
		t.Fatalf("queued attempt %d, history %+v: want attempt 2 after one never started", q.Attempt, q.History)
	}
}

// A worker's assignment directory deleted under a live registration is
// made again by the leader, which lists it and places work there again.
func TestWorkerDirectoryDeletedIsMadeAgain(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	w := registerWorker(t, root, "w", 1, nil)
	ids := submit(t, st, 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "first task placed", func() bool { return len(w.assignments(t)) == 1 })
	w.finish(t, store.AssignmentName(ids[0], 1))
	dir := st.Layout().WorkerTasks("w")
	if err := st.Delete(dir, -1); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the directory made again", func() bool {
		ok, _, err := st.Exists(dir)
		return err == nil && ok
	})
	more := submit(t, st, 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "second task placed", func() bool {
		got := w.assignments(t)
		return len(got) == 1 && got[0] == store.AssignmentName(more[0], 1)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if got, err := st.WaitResult(ctx, ids[0]); err != nil || got.State != store.StateSucceeded {
		t.Fatalf("first result %+v, %v", got, err)
	}
	if s.Epoch() != 1 {
		t.Fatalf("epoch %d: the term ended", s.Epoch())
	}
}

// A deposed leader that finds a worker's directory gone does not make it
// again: its term is over (ErrFenced), and the next leader does it.
func TestWorkerDirectoryDeletedIsNotMadeByADeposedLeader(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "w", 1, nil)
	l, fence, _ := termOf(t, st)
	if err := l.syncWorkers(); err != nil {
		t.Fatal(err)
	}
	if err := l.applyTaskList(nextList(t, l)); err != nil { // sets the directory's watch
		t.Fatal(err)
	}
	dir := st.Layout().WorkerTasks("w")
	if err := st.Delete(dir, -1); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(fence, -1); err != nil { // the session expired: the term is over
		t.Fatal(err)
	}
	var ev watchEvent
	select {
	case <-l.sink.wake:
		evs := l.sink.take(1 << 20)
		if len(evs) != 1 {
			t.Fatalf("events %+v, want the directory's one", evs)
		}
		ev = evs[0]
	case <-time.After(10 * time.Second):
		t.Fatal("no event for the directory's deletion")
	}
	if ev.kind != watchWorkerTasks || ev.arg != "w" {
		t.Fatalf("event %+v, want the directory's", ev)
	}
	if err := l.handle(ev); err != nil {
		t.Fatal(err)
	}
	if err := l.applyTaskList(nextList(t, l)); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("listing a deleted directory after the fence went: %v, want ErrFenced", err)
	}
	if ok, _, err := st.Exists(dir); err != nil || ok {
		t.Fatalf("a deposed leader made %s again (%v)", dir, err)
	}
}

// syncWorkerView reads the workers into l's view and applies the first
// listing of each of the n workers' directories, as a term's start does.
func syncWorkerView(t *testing.T, l *leader, n int) {
	t.Helper()
	if err := l.syncWorkers(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := l.applyTaskList(nextList(t, l)); err != nil {
			t.Fatal(err)
		}
	}
}
