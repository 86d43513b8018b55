package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review139: once reserve (ea9a622) has kept the prefetch room of every
// worker for a task that cannot wait, nothing more can be placed in the
// pass: no worker has a free slot, and the only room left is reserved. But
// place() counts that room in freeTotal still, so the pass goes on through
// the whole queue, trying every shape behind the reserving task against
// every worker (pickWorker's two scans) and setting it aside, on every
// event and at least once a second, for as long as the cluster stays full.
// Without a prefetch a full cluster costs a pass nothing (freeTotal 0); the
// project holds passes to the work they can do (see
// TestPassOverUnadmittedCommandsLooksOncePerProgram).
func TestReview139PassGoesOnPastReservedRoom(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const workers, shapes = 3, 200
	labels := map[string]string{}
	for i := range shapes {
		labels[fmt.Sprintf("k%d", i)] = "1"
	}
	for i := range workers {
		registerWorkerInfo(t, root, &store.WorkerInfo{ID: fmt.Sprintf("w%d", i), Host: "test", Capacity: 1, Prefetch: 2,
			Labels: labels, StartedAt: time.Now()})
	}
	l, _, _ := termOf(t, st)
	syncWorkerView(t, l, workers)
	// Every worker's slot taken (placements in flight count as used).
	n := 0
	for range workers {
		l.ready.push(newQueued(&store.Task{ID: spreadID(n), Cmd: []string{"true"}, Timeout: store.Millis(60000)}, 0, true))
		n++
	}
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	for id, w := range l.workers {
		if w.free() != 0 || w.freeFor(true) != 2 {
			t.Fatalf("worker %s: %d free, %d with its prefetch; want 0 and 2", id, w.free(), w.freeFor(true))
		}
	}
	// A task that cannot wait, first in the queue, then tasks that can, of
	// as many shapes, each fitting every worker.
	l.ready.push(newQueued(&store.Task{ID: spreadID(n), Priority: store.PriorityHigh, Cmd: []string{"true"}, Timeout: store.Millis(60000)}, 0, true))
	n++
	for i := range shapes {
		l.ready.push(newQueued(&store.Task{ID: spreadID(n), Cmd: []string{"true"}, On: map[string]string{fmt.Sprintf("k%d", i): "1"}}, 0, true))
		n++
	}
	inflight := l.inflight
	before := l.ready.looks
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	looks := l.ready.looks - before
	if l.inflight != inflight {
		t.Fatalf("the pass placed something: %d batches in flight, were %d", l.inflight, inflight)
	}
	t.Logf("a pass that could place nothing looked at %d tasks", looks)
	if looks > 2 {
		t.Fatalf("a pass with every worker's slot taken and all their prefetch room reserved for a task that cannot wait "+
			"looked at %d tasks (%d shapes, each tried against every worker and set aside): it could place nothing after the first", looks, shapes+1)
	}
}
