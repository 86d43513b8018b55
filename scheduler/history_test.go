package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestWorkersThatLeftForGoodLeaveNoAssignmentDirectory: a worker registers
// (workers/<id>, ephemeral), then makes its assignment directory
// tasks/<id> itself (worker.serve's EnsurePath), and on leaving deletes its
// registration. The leader deletes tasks/<id> when a worker it has in its
// view leaves (workerLeft -> recoverWorkerDir); one that came and went
// between two of its listings of workers/ (or whose registration was gone
// when it read it) was never in the view, workerLeft does nothing for it,
// and its directory stays: only a takeover (syncOrphanTaskDirs) looks for
// such directories. A leader that never fails over so keeps one znode per
// short-lived worker id for good (a fleet whose ids are pod or host names,
// crash-looping or scaled in and out), and every client look-up of a
// placed task lists all of tasks/. Here 200 workers, each with an id of its
// own, join and leave for good under one leader; afterwards tasks/ should
// hold only the directories of live workers (none).
func TestWorkersThatLeftForGoodLeaveNoAssignmentDirectory(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "the scheduler leads with its view built", func() bool {
		return s.IsLeader() && s.Stats().ViewReady
	})
	lay := st.Layout()
	wst := drovertest.OpenStore(t, root) // the workers' connection
	join := func(id string) int64 {
		data, err := store.Encode(&store.WorkerInfo{ID: id, Host: "test", Capacity: 1, StartedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		stat, _, err := wst.CreateEphemeral(context.Background(), lay.Worker(id), data)
		if err != nil {
			t.Fatal(err)
		}
		// As worker.serve does right after registering.
		if err := wst.EnsurePath(lay.WorkerTasks(id)); err != nil {
			t.Fatal(err)
		}
		return stat.Czxid
	}
	leave := func(id string) {
		if err := wst.Delete(lay.Worker(id), -1); err != nil {
			t.Fatal(err)
		}
	}
	const n = 200
	for i := range n {
		id := fmt.Sprintf("w-%03d", i)
		join(id)
		leave(id)
	}
	// A barrier: a last worker that the leader sees join and leave, so that
	// every change to workers/ before it has been handled.
	join("probe")
	drovertest.WaitFor(t, 10*time.Second, "the leader sees the probe worker", func() bool {
		return s.Stats().Workers == 1
	})
	leave("probe")
	waitGone(t, st, 10*time.Second, lay.WorkerTasks("probe"))
	drovertest.WaitFor(t, 10*time.Second, "the leader's view empty", func() bool {
		return s.Stats().Workers == 0
	})
	dirs, err := st.Children(lay.Tasks())
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 0 {
		t.Fatalf("no worker is registered, yet tasks/ holds %d assignment directories of workers that left for good (of %d that came and went), e.g. %v", len(dirs), n, dirs[:min(5, len(dirs))])
	}
}

// TestRebuildsOfTheViewStackNoWatches: a leader rebuilds its view within
// its term whenever a write's outcome is unknown (a connection lost
// mid-request: errResync, store.ErrConnection), by reset and serve again.
// reset forgets l.watched ("watches already set keep forwarding, and the
// next sync sets fresh ones"), so each rebuild sets a second watch on every
// path the view watches, and the client keeps a callback per watch set
// (and a forwarding goroutine of the term each, then). The old ones go only
// when their znode changes: a worker's registration and its idle assignment
// directory may not change for months. Every rebuild so adds two client
// watches per idle worker, for the rest of a
// term that never fails over: memory grows with the history of lost
// connections, not with what is in flight. Here 40 idle workers and 25
// rebuilds (run's loop: reset, then serve lists the workers again).
func TestRebuildsOfTheViewStackNoWatches(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const workers, rebuilds = 40, 25
	for i := range workers {
		registerWorker(t, root, fmt.Sprintf("w-%02d", i), 1, nil)
	}
	l, _, _ := termOf(t, st)
	// serve's listing of the workers, with the directory listings it
	// starts applied as the loop applies them.
	relist := func() {
		syncWorkerView(t, l, workers)
	}
	relist()
	base := st.LiveWatches()
	for range rebuilds {
		l.reset()
		relist()
	}
	grown := st.LiveWatches() - base
	t.Logf("watches: %d after the first view, %d more after %d rebuilds with %d idle workers", base, grown, rebuilds, workers)
	if grown > workers {
		t.Fatalf("%d rebuilds of the view left %d more watches with the same %d idle workers: about %d per rebuild, for the rest of the term", rebuilds, grown, workers, grown/rebuilds)
	}
}
