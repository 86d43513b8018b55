package scheduler

import (
	"testing"

	"github.com/drover-sched/drover/store"
)

// review143: a command shape set aside whole reserves (a1bc84b) for the
// programs of its other queued heads (sq.heads) at once, when the pass
// reaches the shape's first task, whatever the order of those programs'
// own first tasks. reserve's contract (ARCHITECTURE: "no task after it in
// the queue's order goes into the prefetch of the workers that would run
// it"; README: "so it keeps its place in the queue's order") is about tasks
// after the task that cannot wait. Here a p1 task of priority 5 with a
// timeout heads the shape; a p2 task of priority -5 with a timeout is in the
// same shape; a p2 task of priority 0 that can wait comes between them in
// the queue's order. It should be prefetched onto w2 (the only p2 worker,
// busy): it is before the p2 task that cannot wait, which keeps its place
// whatever happens. Instead w2 is reserved for the priority -5 task the
// moment the priority 5 task of another program is set aside, and the
// priority 0 task is not prefetched. Were the -5 task of other labels (a
// shape of its own) it would reserve nothing before the pass reached it.
func TestReview143ReserveForALaterProgramBlocksEarlierTasks(t *testing.T) {
	l, n := busyAllowWorkers(t)
	high, low, wait := spreadID(n), spreadID(n+1), spreadID(n+2)
	l.ready.push(newQueued(&store.Task{ID: high, Cmd: []string{"p1"}, Priority: 5, Timeout: store.Millis(60000)}, 0, true))
	l.ready.push(newQueued(&store.Task{ID: low, Cmd: []string{"p2"}, Priority: -5, Timeout: store.Millis(60000)}, 0, true))
	l.ready.push(newQueued(&store.Task{ID: wait, Cmd: []string{"p2"}}, 0, true))
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	if w2 := l.workers["w2"]; w2.Used != 2 {
		t.Fatalf("w2 took %d assignments, %d prefetched: the priority 0 p2 task %s that can wait was not prefetched "+
			"onto w2, reserved for p2 task %s of priority -5 (after it in the queue's order) because p1 task %s "+
			"of priority 5 shares its shape", w2.Used, w2.Used-w2.Capacity, wait, low, high)
	}
}
