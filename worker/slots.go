package worker

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/drover-sched/drover/store"
)

// slots holds a worker's attempts to its capacity: each takes a slot from
// before its running mark until its report is in line in the group commit,
// ahead of the next attempt's running mark (see Worker.report), so no more
// than capacity attempts run at once, nor, as a rule, stand marked running
// in ZooKeeper (the exceptions are a report's: see Worker.report). An assignment
// beyond that (prefetched: Config.Prefetch) waits for a slot in the queue's
// order, as the leader places: high priority first, then by task id (submit
// order); but first those that may not wait (store.Task.MayWait: a
// timeout, a starting deadline), which the leader placed on a free slot
// only, counting their time from then (one given to an older prefetched
// task instead waited, never started, and was withdrawn as timed out, a
// failure). The serve loop takes each new assignment's place in line, in that
// order, before its goroutine starts: the goroutines would come in any
// order.
type slots struct {
	mu      sync.Mutex
	free    int
	seq     uint64
	waiting waiters
}

func newSlots(capacity int) *slots { return &slots{free: capacity} }

// waiter is an assignment's place in line; ready closes when it has a slot.
type waiter struct {
	urgent  bool // may not wait (store.Task.MayWait): ahead of the rest
	prio    store.Priority
	id      string
	since   time.Time // when it was put in line
	seq     uint64    // ties: first come
	ready   chan struct{}
	index   int // in the heap while waiting
	granted bool
	dropped bool
}

// take puts an assignment in line, with the slot at once if one is free
// and nobody waits.
func (s *slots) take(urgent bool, prio store.Priority, id string) *waiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	w := &waiter{urgent: urgent, prio: prio, id: id, since: time.Now(), seq: s.seq, ready: make(chan struct{})}
	if s.free > 0 && len(s.waiting) == 0 {
		s.free--
		w.granted = true
		close(w.ready)
		return w
	}
	heap.Push(&s.waiting, w)
	return w
}

// reorder puts w in line by what its record says, once read: the serve
// loop took a record without a copy for one that may wait, of normal
// priority (a lone placement on a busy worker, as refilling its prefetch
// one task at a time is, comes without one).
func (s *slots) reorder(w *waiter, urgent bool, prio store.Priority) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.granted || w.dropped || w.prio == prio && w.urgent == urgent {
		return
	}
	w.urgent, w.prio = urgent, prio
	heap.Fix(&s.waiting, w.index)
}

// wait waits until w has its slot, or ctx ends (the assignment withdrawn,
// the worker stopping), or handBack closes (errHandBack: the worker drains).
func (s *slots) wait(ctx context.Context, w *waiter, handBack <-chan struct{}) error {
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-handBack:
		return errHandBack
	}
}

// drop gives w up: its slot to the next in line if it had one (also one
// given as its wait ended), else its place in line. Once only.
func (s *slots) drop(w *waiter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.dropped {
		return
	}
	w.dropped = true
	if !w.granted {
		heap.Remove(&s.waiting, w.index)
		return
	}
	if len(s.waiting) == 0 {
		s.free++
		return
	}
	next := heap.Pop(&s.waiting).(*waiter)
	next.granted = true
	close(next.ready)
}

// waitingNow is how many wait for a slot.
func (s *slots) waitingNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiting)
}

// waiters is a heap of waiters in the queue's order.
type waiters []*waiter

func (h waiters) Len() int { return len(h) }
func (h waiters) Less(i, j int) bool {
	if h[i].urgent != h[j].urgent {
		return h[i].urgent
	}
	if h[i].prio != h[j].prio {
		return h[i].prio > h[j].prio
	}
	if h[i].id != h[j].id {
		return h[i].id < h[j].id
	}
	return h[i].seq < h[j].seq
}
func (h waiters) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *waiters) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waiters) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return w
}
