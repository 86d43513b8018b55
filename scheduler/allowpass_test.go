package scheduler

import (
	"fmt"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A pass over commands that no free worker's allow-list admits (each
// worker has their labels, none runs their program) looks at each program
// once, not at each task: they were popped and pushed back one by one,
// each tried against every free worker, on every event and at least once a
// second, and 10,000 of them with 50 idle allow-list workers kept a leader
// at ~10% of a core doing nothing, ~25% while it placed other work. The
// command admitted behind them is placed in the same pass.
func TestPassOverUnadmittedCommandsLooksOncePerProgram(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const workers = 5
	for i := range workers {
		registerAllowWorker(t, root, fmt.Sprintf("aw-%d", i), 2, []string{"ok-*"})
	}
	l, _, _ := termOf(t, st)
	syncWorkerView(t, l, workers)
	programs := []string{"/usr/bin/true", "/usr/bin/false", "render", "etl"}
	const backlog = 10000
	for i := range backlog {
		task := &store.Task{ID: spreadID(i), Priority: store.PriorityHigh, Cmd: []string{programs[i%len(programs)]}}
		l.ready.push(newQueued(task, 0, true))
	}
	ok := &store.Task{ID: spreadID(backlog), Cmd: []string{"ok-1"}}
	l.ready.push(newQueued(ok, 0, true))
	before := l.ready.looks
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	looks := l.ready.looks - before
	t.Logf("a pass over %d unadmitted commands of %d programs looked at %d tasks", backlog, len(programs), looks)
	if l.inflight != 1 {
		t.Fatalf("%d placements in flight, want the admitted command's", l.inflight)
	}
	if looks > uint64(2*len(programs)+2) {
		t.Fatalf("a pass looked at %d tasks for %d unadmitted commands of %d programs: one by one", looks, backlog, len(programs))
	}
	if l.ready.Len() != backlog {
		t.Fatalf("%d ready after the pass, want the %d unadmitted", l.ready.Len(), backlog)
	}
	// The next pass still finds them, and no shape or program set aside
	// stays so.
	if q, _ := l.ready.first(); q == nil {
		t.Fatal("the unadmitted commands are not in the running after the pass")
	}
	if len(l.ready.aside) != 0 || len(l.ready.progsAside) != 0 {
		t.Fatalf("%d shapes and %d shapes' programs still set aside after the pass", len(l.ready.aside), len(l.ready.progsAside))
	}
}
