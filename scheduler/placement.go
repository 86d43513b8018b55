package scheduler

import (
	"container/heap"
	"slices"
	"time"
	"unique"

	"github.com/drover-sched/drover/store"
)

// slot is what placement needs to know of a worker.
type slot struct {
	ID       string
	Labels   map[string]string
	Capacity int
	Used     int
	Draining bool
	// Handlers are the Go handlers the worker runs.
	Handlers []string
	// NoCommands and Allow say which command tasks it takes: none, or
	// those whose program its allow-list may admit (empty: any).
	NoCommands bool
	Allow      []string
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
// required labels that run what it runs (its handler, or its program), the
// least loaded by fraction of capacity (spreading work), ties broken by fewer
// running, then by who received work least recently. It returns nil when none
// fits.
func pickWorker(workers []*slot, want map[string]string, runs runnable) *slot {
	var best *slot
	for _, w := range workers {
		if w.Draining || w.free() <= 0 || !matches(w.Labels, want) || !w.runs(runs) {
			continue
		}
		if best == nil || less(w, best) {
			best = w
		}
	}
	return best
}

// Eligible says whether the leader would place t on the worker registered
// with info, were it free and not draining: it has t's labels and runs
// what t runs.
func Eligible(info *store.WorkerInfo, t *store.Task) bool {
	s := slotOf(info)
	return matches(s.Labels, t.On) && s.runs(runnableOf(t))
}

// slotOf is what placement reads of a worker's registration (its load and
// turn are the leader's to count).
func slotOf(info *store.WorkerInfo) slot {
	return slot{ID: info.ID, Labels: info.Labels, Capacity: info.Capacity, Draining: info.Draining,
		Handlers: info.Handlers, NoCommands: info.NoCommands, Allow: info.Allow}
}

// runnable is what a task runs: a Go handler's name, or a command's
// program (store.Task.Program). Interned: a million queued tasks mostly run
// a few programs, and the leader keeps one of these for each.
type runnable struct {
	handler bool
	what    unique.Handle[string]
}

func runnableOf(t *store.Task) runnable {
	if t.Handler != "" {
		return runnable{handler: true, what: unique.Make(t.Handler)}
	}
	return runnable{what: unique.Make(t.Program())}
}

// runs reports whether the worker runs r: has its handler, or takes
// commands and may allow its program. (The zero runnable, a test's task,
// is a command any worker taking commands may run.)
func (s *slot) runs(r runnable) bool {
	name := ""
	if r.what != (unique.Handle[string]{}) {
		name = r.what.Value()
	}
	if r.handler {
		return slices.Contains(s.Handlers, name)
	}
	return !s.NoCommands && store.MayAllow(s.Allow, name)
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

// taskHeap is a heap of queued tasks in the order less gives; each item keeps
// its index so it can be removed when it leaves the queue.
type taskHeap struct {
	items []*queued
	less  func(a, b *queued) bool
}

// readyFirst orders tasks ready to run: higher priority first, then by id (ULIDs
// sort by submit time, so FIFO within a priority).
func readyFirst(a, b *queued) bool {
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	return a.id < b.id
}

// dueFirst orders tasks waiting out a retry backoff by their not-before time.
func dueFirst(a, b *queued) bool { return a.notBefore < b.notBefore }

func (h *taskHeap) Len() int           { return len(h.items) }
func (h *taskHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *taskHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = int32(i), int32(j)
}
func (h *taskHeap) Push(x any) {
	it := x.(*queued)
	it.index = int32(len(h.items))
	h.items = append(h.items, it)
}
func (h *taskHeap) Pop() any {
	old := h.items
	it := old[len(old)-1]
	old[len(old)-1] = nil
	it.index = -1
	h.items = old[:len(old)-1]
	return it
}

// peek returns the first item without removing it.
func (h *taskHeap) peek() *queued { return h.items[0] }

// queued is a task the leader knows to be in the queue: what ordering and
// matching need, always, and the full record only while the view keeps few
// enough of them (see maxKept), so the leader's memory stays small however
// deep the queue is. A task without its record has it read at placement.
type queued struct {
	id   string
	on   map[string]string
	runs runnable
	task *store.Task // nil when not kept
	// notBefore and since (when the task became ready: submit or backoff
	// end, for the placement latency metric) are Unix nanoseconds, 0 unset:
	// a million entries make every byte count.
	notBefore, since int64
	index            int32
	version          int32
	attempt          int32
	priority         int8
	delayed          bool
	// relisted: its bucket was listed while its placement was in flight,
	// when the item listed may already be a re-queued successor.
	relisted bool
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// ready reports whether the task's backoff is over at now.
func (q *queued) ready(now time.Time) bool { return q.notBefore <= now.UnixNano() }

// maxKept bounds the queued records the leader keeps in memory, each of at
// most maxKeptRecord bytes (recordBytes: a big payload, or a history of
// retries with their output, is read again at placement instead); beyond
// it a queued task costs ~110 bytes of index (see BenchmarkQueuedMemory).
var maxKept = 20000

const maxKeptRecord = 8 << 10

func newQueued(t *store.Task, version int32, keep bool) *queued {
	q := &queued{id: t.ID, priority: int8(t.Priority), attempt: int32(t.Attempt), notBefore: unixNano(t.NotBefore),
		since: unixNano(t.SubmittedAt), on: t.On, runs: runnableOf(t), version: version}
	if len(q.on) == 0 {
		q.on = nil
	}
	q.since = max(q.since, q.notBefore)
	if keep {
		q.task = t
	}
	return q
}

var _ heap.Interface = (*taskHeap)(nil)
