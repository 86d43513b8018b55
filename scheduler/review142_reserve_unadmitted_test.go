package scheduler

import (
	"testing"

	"github.com/drover-sched/drover/store"
)

// review142: reserve keeps the prefetch room of the workers a task that
// cannot wait is waiting for (README: the leader "prefetches nothing onto
// the workers a queued task that cannot wait is waiting for"). Since
// 5976944 a command shape set aside whole (no free allow-list worker)
// reserves every worker that takes commands of its labels, whatever its
// allow-list: also when the task's program is admitted by no worker at
// all, so it waits for none of them and never runs anywhere. One such task
// (a typo in a program name, with a timeout), first in the queue's order,
// then takes the prefetch of every busy command worker in every pass for as
// long as it stays queued: no task that can wait is prefetched anywhere
// while the cluster is saturated. Here w1 admits p1 only, w2 p2 only, both
// busy with prefetch room; a p3 task (no worker admits p3) with a timeout
// comes first, then a p1 task that can wait: it is not prefetched onto w1.
// Before 5976944 reserve ran for the p3 task's program alone and kept
// nothing.
func TestReview142ReserveForAProgramNoWorkerAdmits(t *testing.T) {
	l, n := busyAllowWorkers(t)
	// A task no worker admits (p3), that cannot wait, first; then a task
	// that can wait, for w1. Both of normal priority, in submit order.
	stray, wait := spreadID(n), spreadID(n+1)
	if !(stray < wait) {
		t.Fatalf("ids out of order: %s %s", stray, wait)
	}
	l.ready.push(newQueued(&store.Task{ID: stray, Cmd: []string{"p3"}, Timeout: store.Millis(60000)}, 0, true))
	l.ready.push(newQueued(&store.Task{ID: wait, Cmd: []string{"p1"}}, 0, true))
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	for id, w := range l.workers {
		if w.Reserved && !w.Allow.Allows("p3") {
			t.Logf("worker %s reserved for a p3 task its allow-list %v refuses", id, w.Allow)
		}
	}
	if w1 := l.workers["w1"]; w1.Used != 2 {
		t.Fatalf("w1 took %d assignments, %d prefetched: the p1 task %s that can wait was not prefetched onto w1, "+
			"whose prefetch room was reserved for task %s of program p3, which no worker's allow-list admits "+
			"(it waits for no worker, and does so in every pass while it stays queued)", w1.Used, w1.Used-w1.Capacity, wait, stray)
	}
}

// review142: the same over-reservation without a stray program. A p1 task
// with a timeout waits for w1 alone (only w1 admits p1), and no task of
// another program that cannot wait is queued; yet its shape set aside whole
// reserves w2 too, and a p2 task that can wait, which only w2 runs, is not
// prefetched there: every command task with a timeout waiting at the head
// of the queue for its busy worker stops the prefetch of every busy
// command worker of its labels, whatever programs they run.
func TestReview142ReserveForOneProgramKeepsEveryWorker(t *testing.T) {
	l, n := busyAllowWorkers(t)
	first, wait := spreadID(n), spreadID(n+1)
	if !(first < wait) {
		t.Fatalf("ids out of order: %s %s", first, wait)
	}
	l.ready.push(newQueued(&store.Task{ID: first, Cmd: []string{"p1"}, Timeout: store.Millis(60000)}, 0, true))
	l.ready.push(newQueued(&store.Task{ID: wait, Cmd: []string{"p2"}}, 0, true))
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	if w2 := l.workers["w2"]; w2.Used != 2 {
		t.Fatalf("w2 took %d assignments, %d prefetched: the p2 task %s that can wait was not prefetched onto w2 "+
			"(which alone runs p2), its room reserved for p1 task %s, which only w1 admits", w2.Used, w2.Used-w2.Capacity, wait, first)
	}
}
