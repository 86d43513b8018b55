package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review144: ARCHITECTURE ("The leader's view") says a label that no
// worker has sets the shape aside at once, whatever its programs. Since
// 44395fc a command shape that cannot wait (a timeout) sets aside only its
// program while prefetchLeft(slots), which asks whether any worker at all
// has prefetch room not reserved: reserve keeps nothing for a shape no
// worker fits, so in an idle cluster with a prefetch every program of such
// a shape is tried in turn, each against every worker, on every pass, for
// as long as the tasks wait for the label.
func TestReview144LabelNobodyHasTriedPerProgram(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const workers, programs = 3, 2000
	for i := range workers {
		registerWorkerInfo(t, root, &store.WorkerInfo{ID: fmt.Sprintf("w%d", i), Host: "test", Capacity: 2, Prefetch: 1,
			StartedAt: time.Now()})
	}
	l, _, _ := termOf(t, st)
	syncWorkerView(t, l, workers)
	for i := range programs {
		l.ready.push(newQueued(&store.Task{ID: spreadID(i), Priority: store.PriorityHigh, Cmd: []string{fmt.Sprintf("job-%d", i)},
			On: map[string]string{"gpu": "a100"}, Timeout: store.Millis(60000)}, 0, true))
	}
	// A task any worker runs, behind them in the queue's order.
	l.ready.push(newQueued(&store.Task{ID: spreadID(programs), Cmd: []string{"true"}}, 0, true))
	before := l.ready.looks
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	looks := l.ready.looks - before
	t.Logf("a pass over %d timed commands of %d programs wanting a label no worker has: %d looks", programs, programs, looks)
	if l.inflight != 1 {
		t.Fatalf("%d placements in flight, want the plain task's", l.inflight)
	}
	if l.ready.Len() != programs {
		t.Fatalf("%d ready after the pass, want %d", l.ready.Len(), programs)
	}
	if looks > 3 {
		t.Fatalf("a pass looked at %d tasks of one shape whose label no worker has (%d programs): an idle worker's "+
			"prefetch, which no task of the shape can reserve, keeps prefetchLeft true and each program is tried in turn",
			looks, programs)
	}
}
