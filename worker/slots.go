package worker

import (
	"container/heap"
	"context"
	"sync"

	"github.com/drover-sched/drover/store"
)

// slots holds a worker's attempts to its capacity: each takes a slot from
// before its running mark until its report is written, so no more than
// capacity assignments are ever marked running here at once. An assignment
// beyond that (prefetched: Config.Prefetch) waits for a slot, high priority
// first, then in the order it came.
type slots struct {
	mu      sync.Mutex
	free    int
	seq     uint64
	waiting waiters
}

func newSlots(capacity int) *slots { return &slots{free: capacity} }

// waiter is an assignment waiting for a slot; ready closes when it has one.
type waiter struct {
	prio  store.Priority
	seq   uint64
	ready chan struct{}
	index int // in the heap; -1 once it has a slot
}

// acquire takes a slot, waiting for one until ctx ends (the assignment
// withdrawn, the worker stopping).
func (s *slots) acquire(ctx context.Context, prio store.Priority) error {
	s.mu.Lock()
	if s.free > 0 && len(s.waiting) == 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	s.seq++
	w := &waiter{prio: prio, seq: s.seq, ready: make(chan struct{})}
	heap.Push(&s.waiting, w)
	s.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	granted := w.index < 0
	if !granted {
		heap.Remove(&s.waiting, w.index)
	}
	s.mu.Unlock()
	if granted {
		s.release() // given as ctx ended: to the next
	}
	return context.Cause(ctx)
}

// waitingNow is how many wait for a slot.
func (s *slots) waitingNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiting)
}

// release gives a slot back: to the first waiter, if any.
func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked()
}

func (s *slots) releaseLocked() {
	if len(s.waiting) == 0 {
		s.free++
		return
	}
	w := heap.Pop(&s.waiting).(*waiter)
	w.index = -1
	close(w.ready)
}

// waiters is a heap of waiters: higher priority first, then first come.
type waiters []*waiter

func (h waiters) Len() int { return len(h) }
func (h waiters) Less(i, j int) bool {
	if h[i].prio != h[j].prio {
		return h[i].prio > h[j].prio
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
