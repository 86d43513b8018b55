package scheduler

import (
	"path"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A listing of a worker's directory that was to set its watch
// (listWorkerTasks after the watch fired) and fails with the connection
// sits in l.lists while the view is rebuilt: a rebuild begun by another
// failure of the same lost connection (a placement's, another worker's
// listing, a sync at the top of the loop) leaves it there, and serve lists
// the workers before its loop takes anything from l.lists. reset now keeps
// l.watched, where the failed listing marked the directory watched, so
// the rebuilt view lists the directory without a watch; then the failed
// listing is applied and unmarks it. No watch is live and none is marked:
// nothing lists the directory again, the attempts the worker reports stay
// counted against its capacity, and a worker of capacity 1 is never given
// work again by this leader for the rest of its term.
func TestWorkerDirectoryStaysWatchedAfterARebuildRacingAFailedListing(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreAt(t, px.Addr(), root)
	w := registerWorker(t, root, "w", 1, nil)
	l, _, _ := termOf(t, lst)
	if err := l.syncWorkers(); err != nil {
		t.Fatal(err)
	}
	if err := l.applyTaskList(nextList(t, l)); err != nil { // sets the directory's watch
		t.Fatal(err)
	}
	dir := st.Layout().WorkerTasks("w")
	// An attempt of the worker's registration lands in its directory (as
	// this leader's placement would): the watch fires.
	p := orphanAssignment(t, st, "w", func(task *store.Task) { task.Reg = w.reg })
	ev := dirEvent(t, l, 10*time.Second)
	if ev == nil {
		t.Fatal("no event for the directory's change")
	}
	// Its handler lists the directory with a new watch; the connection is
	// lost with that request.
	px.FreezeAt([]byte(dir))
	if err := l.handle(*ev); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the listing sent", px.Frozen)
	px.Cut(true)
	failed := nextList(t, l)
	if failed.err == nil || !failed.watched {
		t.Fatalf("listing err %v watched %v: want a failed listing that was to set the watch", failed.err, failed.watched)
	}
	px.Cut(false)
	// run's rebuild, begun before the loop took the failed listing; then
	// the loop applies what l.lists holds.
	rebuildOnceConnected(t, l, lst)
	if err := l.applyTaskList(failed); err != nil {
		t.Fatal(err)
	}
	if err := l.applyTaskList(nextList(t, l)); err != nil {
		t.Fatal(err)
	}
	view := l.workers["w"]
	if view == nil || len(view.checked) != 1 || view.free() != 0 {
		t.Fatalf("view of the worker %+v: want its one attempt counted", view)
	}
	// The worker reports: its assignment goes, and the leader must hear of it.
	w.finish(t, path.Base(p))
	if ev := dirEvent(t, l, 10*time.Second); ev == nil {
		t.Fatalf("the worker's directory changed and the leader heard nothing (watched %v): its slot stays taken by an attempt that ended (free %d)",
			l.watched[dir], view.free())
	}
}

// dirEvent waits up to d for the event of a worker directory's watch,
// passing over others; nil when none came.
func dirEvent(t *testing.T, l *leader, d time.Duration) *watchEvent {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case <-l.sink.wake:
			for _, ev := range l.sink.take(1 << 20) {
				if ev.kind == watchWorkerTasks {
					return &ev
				}
			}
		case <-deadline:
			return nil
		}
	}
}

// rebuildOnceConnected waits for the leader's store to be connected again
// and rebuilds the view as run does after a lost connection: reset, then
// serve lists the workers.
func rebuildOnceConnected(t *testing.T, l *leader, lst *store.Store) {
	t.Helper()
	drovertest.WaitFor(t, 20*time.Second, "the leader's store connected again", func() bool {
		ok, _ := lst.Connected()
		return ok
	})
	l.reset()
	if err := l.syncWorkers(); err != nil {
		t.Fatal(err)
	}
}
