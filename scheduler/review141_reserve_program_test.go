package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review141: reserve keeps the prefetch room of the workers that would run
// a task that cannot wait and found no free slot, so that no task after it
// in the queue's order is prefetched there (README: the leader "prefetches
// nothing onto the workers a queued task that cannot wait is waiting for,
// so it keeps its place in the queue's order"). But it reserves for the
// first task of a shape only: with no free allow-list worker (mayAllow
// false) the whole command shape is set aside, and the tasks of that shape
// behind the first, of other programs that other workers' allow-lists
// admit, never reserve their workers. Here w1 admits p1 only, w2 p2 only,
// both busy with prefetch room: a high-priority p1 task that cannot wait
// reserves w1 and sets its shape aside, so the high-priority p2 task behind
// it is never tried, and a normal p2 task that can wait, after both in the
// queue's order, is prefetched onto w2, ahead of the p2 task that waits for
// w2's next slot; in every pass, as long as such tasks keep coming.
func TestReview141ReserveMissesOtherProgramsOfASetAsideShape(t *testing.T) {
	l, n := busyAllowWorkers(t)
	// Two high-priority tasks that cannot wait, one for each worker, of
	// one shape; then a normal task that can wait, for w2.
	p1, p2, wait := spreadID(n), spreadID(n+1), spreadID(n+2) // in this order
	if !(p1 < p2 && p2 < wait) {
		t.Fatalf("ids out of order: %s %s %s", p1, p2, wait)
	}
	l.ready.push(newQueued(&store.Task{ID: p1, Priority: store.PriorityHigh, Cmd: []string{"p1"}, Timeout: store.Millis(60000)}, 0, true))
	l.ready.push(newQueued(&store.Task{ID: p2, Priority: store.PriorityHigh, Cmd: []string{"p2"}, Timeout: store.Millis(60000)}, 0, true))
	l.ready.push(newQueued(&store.Task{ID: wait, Cmd: []string{"p2"}}, 0, true))
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	if w2 := l.workers["w2"]; w2.Used != 1 {
		t.Fatalf("w2 took %d assignments, %d of them prefetched: the high-priority task %s that cannot wait, first "+
			"in the queue's order for w2, now waits behind a normal task prefetched there (reserve never ran for it: "+
			"its shape was set aside for the p1 task before it)", w2.Used, w2.Used-w2.Capacity, p2)
	}
}

// busyAllowWorkers is a leader's view of w1, which admits only p1, and w2,
// only p2, each of capacity 1 with a prefetch of 2, and each slot taken by
// a command with a timeout (placements in flight count as used); n is how
// many spreadID ids it used.
func busyAllowWorkers(t *testing.T) (l *leader, n int) {
	t.Helper()
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	for _, w := range []struct{ id, prog string }{{"w1", "p1"}, {"w2", "p2"}} {
		registerWorkerInfo(t, root, &store.WorkerInfo{ID: w.id, Host: "test", Capacity: 1, Prefetch: 2,
			Allow: []string{w.prog}, StartedAt: time.Now()})
	}
	l, _, _ = termOf(t, st)
	syncWorkerView(t, l, 2)
	for _, prog := range []string{"p1", "p2"} {
		l.ready.push(newQueued(&store.Task{ID: spreadID(n), Cmd: []string{prog}, Timeout: store.Millis(60000)}, 0, true))
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
	return l, n
}
