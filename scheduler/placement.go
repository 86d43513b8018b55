package scheduler

import (
	"container/heap"

	"github.com/drover-sched/drover/store"
)

// slot is what placement needs to know of a worker.
type slot struct {
	ID       string
	Labels   map[string]string
	Capacity int
	Used     int
	Draining bool
	// Last orders workers by when they last received work, so equally loaded
	// workers take turns instead of the first in id order getting everything.
	Last uint64
}

func (s *slot) free() int { return s.Capacity - s.Used }

// matches reports whether the worker carries every label the task requires.
func matches(labels, want map[string]string) bool {
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// pickWorker chooses where a task goes: among workers with a free slot and the
// required labels, the least loaded by fraction of capacity (spreading work),
// ties broken by fewer running, then by who received work least recently. It returns nil when none fits.
func pickWorker(workers []*slot, want map[string]string) *slot {
	var best *slot
	for _, w := range workers {
		if w.Draining || w.free() <= 0 || !matches(w.Labels, want) {
			continue
		}
		if best == nil || less(w, best) {
			best = w
		}
	}
	return best
}

func less(a, b *slot) bool {
	// a.Used/a.Capacity < b.Used/b.Capacity without division.
	la, lb := a.Used*b.Capacity, b.Used*a.Capacity
	if la != lb {
		return la < lb
	}
	if a.Used != b.Used {
		return a.Used < b.Used
	}
	if a.Last != b.Last {
		return a.Last < b.Last
	}
	return a.ID < b.ID
}

// readyQueue orders queued tasks: higher priority first, then by id (ULIDs sort
// by submit time, so FIFO within a priority).
type readyQueue []*queued

func (q readyQueue) Len() int { return len(q) }
func (q readyQueue) Less(i, j int) bool {
	if q[i].task.Priority != q[j].task.Priority {
		return q[i].task.Priority > q[j].task.Priority
	}
	return q[i].task.ID < q[j].task.ID
}
func (q readyQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *readyQueue) Push(x any) {
	it := x.(*queued)
	it.index = len(*q)
	*q = append(*q, it)
}
func (q *readyQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	it.index = -1
	*q = old[:len(old)-1]
	return it
}

// delayQueue orders tasks waiting for their retry backoff by not-before time.
type delayQueue []*queued

func (q delayQueue) Len() int           { return len(q) }
func (q delayQueue) Less(i, j int) bool { return q[i].task.NotBefore.Before(q[j].task.NotBefore) }
func (q delayQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *delayQueue) Push(x any) {
	it := x.(*queued)
	it.index = len(*q)
	*q = append(*q, it)
}
func (q *delayQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	it.index = -1
	*q = old[:len(old)-1]
	return it
}

// queued is a task the leader knows to be in the queue.
type queued struct {
	task    *store.Task
	version int32
	index   int
	delayed bool
}

var (
	_ heap.Interface = (*readyQueue)(nil)
	_ heap.Interface = (*delayQueue)(nil)
)
