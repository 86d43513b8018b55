package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review144: since 44395fc a command shape that cannot wait and finds no
// free slot sets aside only its program while prefetchLeft(slots): while
// ANY worker has prefetch room not reserved, whether or not that worker
// could ever run the shape (its labels, its handlers only). A worker whose
// prefetch no program of the shape will ever reserve keeps prefetchLeft
// true for the whole pass, so every program of the shape is tried in turn
// (pickWorker, reserve and prefetchLeft each scanning every worker), on
// every event and at least once a second, for as long as the cluster stays
// full: one try per program, where 515c842 (before) set the shape aside
// after one. Each try reserves nothing (the first already reserved every
// command worker). The project holds passes to the work they can do
// (TestPassOverUnadmittedCommandsLooksOncePerProgram,
// TestReview139PassGoesOnPastReservedRoom).
func TestReview144TimedCommandProgramsTriedOneByOne(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const cmdWorkers, programs = 99, 2000
	for i := range cmdWorkers {
		registerWorkerInfo(t, root, &store.WorkerInfo{ID: fmt.Sprintf("cw-%03d", i), Host: "test", Capacity: 1, Prefetch: 1,
			StartedAt: time.Now()})
	}
	// One worker that runs a Go handler only, with a prefetch.
	registerWorkerInfo(t, root, &store.WorkerInfo{ID: "hw", Host: "test", Capacity: 1, Prefetch: 1,
		Handlers: []string{"report"}, NoCommands: true, StartedAt: time.Now()})
	l, _, _ := termOf(t, st)
	syncWorkerView(t, l, cmdWorkers+1)
	if len(l.workers) != cmdWorkers+1 {
		t.Fatalf("%d workers in the view, want %d", len(l.workers), cmdWorkers+1)
	}
	// A saturated cluster: every worker's slot taken, its prefetch free.
	for id, w := range l.workers {
		w.checked["busy-"+id] = time.Time{}
		w.recount()
		if w.free() != 0 || w.freeFor(true) != 1 || !w.listedOnce {
			t.Fatalf("worker %s: %d free, %d with its prefetch, listed %v", id, w.free(), w.freeFor(true), w.listedOnce)
		}
	}
	// Timed commands (they cannot wait), one shape, each its own program.
	for i := range programs {
		l.ready.push(newQueued(&store.Task{ID: spreadID(i), Cmd: []string{fmt.Sprintf("/opt/jobs/job-%d", i)},
			Timeout: store.Millis(60000)}, 0, true))
	}
	if len(l.ready.shapes) != 1 {
		t.Fatalf("%d shapes, want 1", len(l.ready.shapes))
	}
	inflight := l.inflight
	before := l.ready.looks
	start := time.Now()
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	looks := l.ready.looks - before
	t.Logf("a pass over %d timed commands of %d programs, %d busy workers: %d looks, %v", programs, programs, cmdWorkers+1, looks, took)
	if l.inflight != inflight {
		t.Fatalf("the pass placed something: %d batches in flight, were %d", l.inflight, inflight)
	}
	if l.ready.Len() != programs {
		t.Fatalf("%d ready after the pass, want %d", l.ready.Len(), programs)
	}
	if len(l.ready.aside) != 0 || len(l.ready.progsAside) != 0 {
		t.Fatalf("%d shapes and %d shapes' programs still set aside after the pass", len(l.ready.aside), len(l.ready.progsAside))
	}
	for id, w := range l.workers {
		if id != "hw" && !w.Reserved {
			t.Fatalf("command worker %s not reserved", id)
		}
	}
	if looks > 2 {
		t.Fatalf("a pass that could place nothing looked at %d tasks of one shape (one per program): the handler-only "+
			"worker's prefetch, which no command reserves, kept prefetchLeft true, so each of %d programs was tried "+
			"against every worker in turn", looks, programs)
	}
}
