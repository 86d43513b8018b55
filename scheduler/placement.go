package scheduler

import (
	"container/heap"
	"crypto/sha256"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unique"

	"github.com/drover-sched/drover/store"
)

// slot is what placement needs to know of a worker.
type slot struct {
	ID       string
	Labels   map[string]string
	Capacity int
	// Prefetch is how many assignments beyond Capacity it takes of tasks
	// that can wait (shape.waits) for a free slot there; none while
	// Reserved (see reserve).
	Prefetch int
	Reserved bool
	Used     int
	Draining bool
	// Handlers are the Go handlers the worker runs.
	Handlers []string
	// NoCommands and Allow say which command tasks it takes: none, or
	// those whose program its allow-list may admit (empty: any), compiled
	// once for each registration read (slotOf), not in every pass.
	NoCommands bool
	Allow      store.AllowList
	// Env is what it lets a command task's variables be; envSeen its
	// answers so far by a shape's variable names (envFitsMemo).
	Env     store.EnvPolicy
	envSeen map[string]bool
	// Last orders workers by when they last received work, so equally loaded
	// workers take turns instead of the first in id order getting everything.
	Last uint64
}

// free is how many more assignments the worker takes of any task.
func (s *slot) free() int { return s.Capacity - s.Used }

// freeFor is how many more it takes of tasks that can wait (shape.waits)
// or not: with its prefetch, or without.
func (s *slot) freeFor(waits bool) int {
	if waits && !s.Reserved {
		return s.Capacity + s.Prefetch - s.Used
	}
	return s.free()
}

// reserve keeps, for the rest of a placement pass, the prefetch room of the
// workers that would run a task of shape want and program runs that cannot
// wait and found no free slot: tasks that can wait, placed after it (of its
// priority or lower), would otherwise take each slot those workers free
// before the leader saw it free, and the task would wait behind them for
// as long as they keep coming.
// It returns the room it kept, which the pass can no longer place.
func reserve(workers []*slot, want shape, runs runnable) (kept int) {
	for _, w := range workers {
		if !w.Reserved && !w.Draining && want.fits(w) && w.runs(runs) {
			kept += max(w.freeFor(true), 0) - max(w.free(), 0)
			w.Reserved = true
		}
	}
	return kept
}

// prefetchLeft reports whether a worker that takes commands of shape
// want's labels has prefetch room not reserved: only such room may a
// program of the shape still reserve.
func prefetchLeft(workers []*slot, want shape) bool {
	return slices.ContainsFunc(workers, func(w *slot) bool {
		return !w.Draining && !w.Reserved && w.Prefetch > 0 && w.freeFor(true) > 0 && !w.NoCommands && want.fits(w)
	})
}

// pickWorker chooses where a task goes: among workers with a free slot and
// the required labels that run what it runs (its handler, or its program),
// the least loaded by fraction of capacity (spreading work), ties broken by
// fewer running, then by who received work least recently. The worker its
// last attempt ran on (avoid; zero for a first attempt) comes last, taken
// only when no other fits: a worker that fails everything at once (a
// program missing there alone) is the least loaded, and took every retry, a
// task's --retries all spent on it while a healthy worker stood free. Only
// when no worker has a free slot does a task that can wait go to a prefetch
// slot, by the same rules: it would wait there behind what runs, while a
// free slot, even its last worker's, runs it at once. It returns nil when
// none fits.
func pickWorker(workers []*slot, want shape, runs runnable, avoid unique.Handle[string]) *slot {
	waits := want.waits()
	s, room := pickAmong(workers, want, runs, avoid, false, waits)
	if s != nil || !room {
		return s
	}
	s, _ = pickAmong(workers, want, runs, avoid, true, false)
	return s
}

// pickAmong is pickWorker among the workers with a free slot, or, with
// prefetch, with room for a task that can wait. With look, room says
// whether any worker not free has such room: only then is a second look,
// with prefetch, worth a scan.
func pickAmong(workers []*slot, want shape, runs runnable, avoid unique.Handle[string], prefetch, look bool) (_ *slot, room bool) {
	var best, avoided *slot
	for _, w := range workers {
		if w.Draining || w.freeFor(prefetch) <= 0 {
			room = room || look && !w.Draining && w.freeFor(true) > 0
			continue
		}
		if !want.fits(w) || !w.runs(runs) {
			continue
		}
		if avoid != (unique.Handle[string]{}) && w.ID == avoid.Value() {
			avoided = w
			continue
		}
		if best == nil || less(w, best) {
			best = w
		}
	}
	if best == nil {
		return avoided, room
	}
	return best, room
}

// mayAllow reports whether a free worker with an allow-list could take a
// command task wanting labels: then that the task fits no worker may be its
// program's doing, not its shape's (see leader.place).
func mayAllow(workers []*slot, want shape) bool {
	waits := want.waits()
	return slices.ContainsFunc(workers, func(w *slot) bool {
		return !w.Allow.Empty() && !w.NoCommands && !w.Draining && w.freeFor(waits) > 0 && want.fits(w)
	})
}

// Eligible says whether the leader would place t on the worker registered
// with info, were it free and not draining: it has t's labels and runs
// what t runs.
func Eligible(info *store.WorkerInfo, t *store.Task) bool {
	ok := false
	NewMatcher([]*store.WorkerInfo{info}).Each(t, func(int) bool { ok = true; return false })
	return ok
}

// Matcher is Eligible for a list of workers whose registrations are read
// once: each allow list is compiled once, not at every question (a check
// of many tasks against a fleet, schedule apply's). One goroutine at a
// time: it keeps memos.
type Matcher struct{ slots []slot }

// NewMatcher reads infos, in their order.
func NewMatcher(infos []*store.WorkerInfo) *Matcher {
	m := &Matcher{slots: make([]slot, len(infos))}
	for i, info := range infos {
		m.slots[i] = slotOf(info)
	}
	return m
}

// Each calls fn with each worker of the list that may be given t (as
// Eligible says), in the list's order, until fn returns false.
func (m *Matcher) Each(t *store.Task, fn func(i int) bool) {
	sh, r := shapeOf(t), runnableOf(t)
	for i := range m.slots {
		if sh.fits(&m.slots[i]) && m.slots[i].runs(r) && !fn(i) {
			return
		}
	}
}

// slotOf is what placement reads of a worker's registration (its load and
// turn are the leader's to count).
func slotOf(info *store.WorkerInfo) slot { return slotWith(info, store.AllowList{}) }

// slotWith is slotOf keeping allow, the list compiled from the worker's
// registration read before, when the registration has the same list: it is
// read again at every change (a drain, a new registration), and a long
// list of hostile patterns takes tens of milliseconds to compile.
func slotWith(info *store.WorkerInfo, allow store.AllowList) slot {
	if !slices.Equal(allow.Patterns(), info.Allow) {
		allow = store.CompileAllow(info.Allow)
	}
	// (DecodeWorker holds Capacity and Prefetch to MaxCapacity.)
	return slot{ID: info.ID, Labels: info.Labels, Capacity: info.Capacity, Prefetch: prefetchOf(info), Draining: info.Draining,
		Handlers: info.Handlers, NoCommands: info.NoCommands, Allow: allow, Env: envOf(info)}
}

// envOf is the rule a registration says its worker applies to a command
// task's variables; a worker that does not say (older than 2026-12-05) is
// taken to admit every name, as leaders before took every worker.
func envOf(info *store.WorkerInfo) store.EnvPolicy {
	if !info.EnvRule {
		return store.EnvPolicy{}
	}
	return store.NewEnvPolicy(info.Allow, info.AllowEnv)
}

// prefetchOf is the prefetch placement counts for a registration: none
// for a worker of no capacity (a record no worker writes), whose
// prefetched tasks would wait for a slot it never frees.
func prefetchOf(info *store.WorkerInfo) int {
	if info.Capacity <= 0 {
		return 0
	}
	return info.Prefetch
}

// runnable is what a task runs: a Go handler's name after "h", or a
// command's program (store.Task.Program) after "c". Interned, and one word:
// a million queued tasks mostly run a few programs, and the leader keeps
// one of these for each.
type runnable struct {
	what unique.Handle[string]
}

// shape is what decides which workers may take a task, but for a
// command's program: the labels it requires and its handler, or that it is
// a command and its variable names. Tasks of one shape fit the same workers, but for allow-lists,
// so when one of them finds none free in a placement pass, the rest of its
// shape need not try, unless a free worker has an allow-list and the shape
// is of commands (see leader.place). The program stays out so that tasks
// of a program each do not make a shape each.
type shape struct {
	key unique.Handle[string] // "h" and the handler, or "c" (and "e" and the variable names), then the labels: each part length-prefixed
}

func shapeOf(t *store.Task) shape {
	// The kind's first byte says whether its tasks can wait for a slot on
	// a busy worker (prefetch): not with a timeout, which counts from the
	// assignment for the leader (a wait behind a long task would withdraw
	// it as timed out), nor bound by a starting deadline (a first attempt's:
	// a cron task's retry is not).
	waits := t.MayWait()
	var kind string
	switch {
	case t.Handler != "" && waits:
		kind = "wh" + t.Handler
	case t.Handler != "":
		kind = "nh" + t.Handler
	case waits:
		kind = "wc"
	default:
		kind = "nc"
	}
	// A command's variable names are part of it (after a kind ending in
	// 'e'): a worker's env policy refuses by name (store.EnvPolicy), and
	// tasks of one shape fit the same workers.
	var env []byte
	if t.Handler == "" && len(t.Env) > 0 {
		kind += "e"
		for _, k := range store.EnvNames(t.Env) {
			env = appendLabel(env, k)
		}
	}
	// Every part length-prefixed (labelsKey's encoding), the kind first,
	// then the names: no byte of a handler's name or a label is taken for
	// a separator.
	b := appendLabel(nil, kind)
	if env != nil {
		b = appendLabel(b, string(env))
	}
	return shape{key: unique.Make(string(b) + labelsKey(t.On))}
}

// fits reports whether worker w has every label the shape's tasks require
// and lets their variables be, read from the shape's key (labelsKey's
// encoding): a queued task keeps no labels map of its own (a million
// queued tasks with one label held 543 bytes each against 179 without).
func (s shape) fits(w *slot) bool {
	kind, enc, ok := cutLabel(s.key.Value())
	if ok && len(kind) == 3 && kind[1] == 'c' { // "wce", "nce": names follow
		var env string
		if env, enc, ok = cutLabel(enc); ok && !w.Env.Open() && !w.envFitsMemo(env) {
			return false
		}
	}
	labels := w.Labels
	for ok && enc != "" {
		var k, v string
		if k, enc, ok = cutLabel(enc); ok {
			v, enc, ok = cutLabel(enc)
		}
		if got, has := labels[k]; !ok || !has || got != v {
			return false
		}
	}
	return ok
}

// envFitsMemo is envFits of the worker's policy, each set of names judged
// once for the registration read: a policy's patterns (path.Match, up to
// MaxAllowBytes of them) against a long name cost up to a second a call,
// made for every task of a shape and every free worker in every pass. At
// most maxEnvSeen answers are kept, each by envMemoKey: the names
// themselves pinned the shape's key (up to a record's size) long after its
// tasks had finished.
func (s *slot) envFitsMemo(env string) bool {
	key := envMemoKey(env)
	if fits, ok := s.envSeen[key]; ok {
		return fits
	}
	if s.envSeen == nil || len(s.envSeen) >= maxEnvSeen {
		s.envSeen = make(map[string]bool)
	}
	fits := envFits(s.Env, env)
	s.envSeen[key] = fits
	return fits
}

// envMemoKey is a set of names as envFitsMemo keeps it: a copy of a short
// one, a digest (one byte longer than any copy) of a longer one.
func envMemoKey(env string) string {
	if len(env) <= sha256.Size {
		return strings.Clone(env)
	}
	sum := sha256.Sum256([]byte(env))
	return "#" + string(sum[:])
}

// maxEnvSeen bounds a worker's envSeen (to some 100 KB): a backlog of more
// sets of names than this judges some again.
const maxEnvSeen = 1024

// envFits says whether policy lets the variable names of enc (the shape's
// part, each length-prefixed, sorted) be.
func envFits(policy store.EnvPolicy, enc string) bool {
	var names []string
	for enc != "" {
		var k string
		var ok bool
		if k, enc, ok = cutLabel(enc); !ok {
			return false
		}
		names = append(names, k)
	}
	name, _ := policy.Refused(names)
	return name == ""
}

// cutLabel takes one length-prefixed string ("3:abc") off the front of enc;
// ok is false when enc does not start with one.
func cutLabel(enc string) (label, rest string, ok bool) {
	n, rest, found := strings.Cut(enc, ":")
	size, err := strconv.Atoi(n)
	if !found || err != nil || size < 0 || size > len(rest) {
		return "", "", false
	}
	return rest[:size], rest[size:], true
}

// commands reports whether the shape is of command tasks.
func (s shape) commands() bool {
	kind, _, _ := cutLabel(s.key.Value())
	return len(kind) >= 2 && kind[1] == 'c'
}

// waits reports whether the shape's tasks can wait for a slot on a busy
// worker (see slot.Prefetch).
func (s shape) waits() bool {
	kind, _, _ := cutLabel(s.key.Value())
	return kind != "" && kind[0] == 'w'
}

// labelsKey is labels as one string: sorted, each key and value
// length-prefixed (they may hold any byte).
func labelsKey(labels map[string]string) string {
	var b []byte
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b = appendLabel(appendLabel(b, k), labels[k])
	}
	return string(b)
}

// appendLabel appends s length-prefixed ("3:abc") to b: what cutLabel
// takes off.
func appendLabel(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	return append(append(b, ':'), s...)
}

func runnableOf(t *store.Task) runnable {
	if t.Handler != "" {
		return runnable{what: unique.Make("h" + t.Handler)}
	}
	return runnable{what: unique.Make("c" + t.Program())}
}

// runs reports whether the worker runs r: has its handler, or takes
// commands and may allow its program. (The zero runnable, a test's task,
// is a command any worker taking commands may run.)
func (s *slot) runs(r runnable) bool {
	kind, name := byte('c'), ""
	if r.what != (unique.Handle[string]{}) {
		v := r.what.Value()
		kind, name = v[0], v[1:]
	}
	if kind == 'h' {
		return slices.Contains(s.Handlers, name)
	}
	return !s.NoCommands && s.Allow.Allows(name)
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
	id    string
	runs  runnable
	shape shape
	task  *store.Task // nil when not kept
	// after is the worker its last attempt ran on (zero: none), which
	// placement takes last (pickWorker).
	after unique.Handle[string]
	// notBefore and since (when the task became ready, for the placement
	// latency metric: see readySince) are Unix nanoseconds, 0 unset:
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
	// bound: a first attempt bound to start by a time (store.Task.StartBy),
	// kept in the leader's startBy heap. A flag here, not the time: it
	// fits the struct's padding, and only such tasks pay for an entry.
	bound bool
	// held: a first attempt held for the tasks it runs after
	// (store.Task.After), in the leader's held map, in neither heap.
	held bool
}

// placing says q's placement is in flight: it is out of the heaps, and
// not held.
func (q *queued) placing() bool { return q.index < 0 && !q.held }

// unixNano is t in nanoseconds since 1970, 0 for the zero time, held to
// int64's range (the years 1678 to 2262): UnixNano wraps past it, and a
// start_by in 2300 (a schedule's --starting-deadline of 250 years) read as
// one in 1716 cancelled the task at once.
func unixNano(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.After(lastNano):
		return math.MaxInt64
	case t.Before(firstNano):
		return math.MinInt64
	}
	return t.UnixNano()
}

var firstNano, lastNano = time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)

// readySince is when t, queued, became ready to place, from which its
// placement latency counts: the latest of its submit, its last queuing by
// drover retry (RetriedAt), the end of its last attempt (a failed, lost or
// unstarted attempt queues the next one then) and the end of its backoff. It was the
// submit or the backoff's end only, so a task retried or re-queued from a
// lost worker was counted as waiting since its first submit.
func readySince(t *store.Task) time.Time {
	at := t.SubmittedAt
	later := func(ts time.Time) {
		if ts.After(at) {
			at = ts
		}
	}
	later(t.RetriedAt)
	if n := len(t.History); n > 0 {
		later(t.History[n-1].FinishedAt)
	}
	later(t.NotBefore)
	return at
}

// ready reports whether the task's backoff is over at now.
func (q *queued) ready(now time.Time) bool { return q.notBefore <= now.UnixNano() }

// maxKept bounds the queued records the leader keeps in memory, each of at
// most maxKeptRecord bytes (keptCost: a big payload, many env entries, or a
// history of retries with their output, is read again at placement
// instead); beyond
// it a queued task costs ~110 bytes of index (see BenchmarkQueuedMemory).
var maxKept = 20000

// maxKeptBytes bounds the kept records' bytes too (keptCost): 20,000
// records of 6 KB held 200 MB, and a million queued behind them took the
// scheduler past 512 MB.
var maxKeptBytes = 32 << 20

// keptCost is about what a kept record costs the leader's heap: its
// variable part (recordBytes), the struct around it, and what Go spends on
// each string and map entry beside their bytes (an env entry of 5 bytes
// holds some 60: 700 of them counted 8 KB and held 42, review128).
func keptCost(t *store.Task) int {
	return recordBytes(t) + 512 + 24*len(t.Cmd) + 64*(len(t.Env)+len(t.On)) + 160*len(t.History)
}

const maxKeptRecord = 16 << 10

func newQueued(t *store.Task, version int32, keep bool) *queued {
	q := &queued{id: t.ID, priority: int8(t.Priority), attempt: int32(t.Attempt), notBefore: unixNano(t.NotBefore),
		since: unixNano(readySince(t)), runs: runnableOf(t), shape: shapeOf(t), version: version}
	// The worker to try last is the last one the task ran on: an attempt
	// that never started (handed back by a draining worker, or its worker
	// lost first) says nothing of the worker it was placed on.
	if i := t.LastRan(); i >= 0 && t.History[i].Worker != "" {
		q.after = unique.Make(t.History[i].Worker)
	}
	if keep {
		q.task = t
	}
	return q
}

var _ heap.Interface = (*taskHeap)(nil)

// readyQueue holds the tasks ready to be placed, first in readyFirst order:
// per shape, a heap per program (a handler's shape has one), a heap of the
// programs by their first task, and a heap of the shapes by theirs. A
// placement pass takes the first task of the first shape; a shape whose
// first task fits no free worker is set aside with all its tasks until the
// pass ends (restore), and so is a program of a command shape when only an
// allow-list refused it (setAsideProgram). A pass so costs what it places
// plus one try per shape, or per program refused, however many tasks wait
// for workers that are busy or absent: it used to pop and push back each of
// them, and 50,000 tasks no worker could take kept a leader at 70 - 90% of
// a core, placing the tasks behind them seconds late; 10,000 commands no
// free worker's allow-list admitted, tried one by one, 10 - 25%.
type readyQueue struct {
	shapes map[shape]*shapeQueue
	heads  shapeHeads
	// aside are the shapes set aside in this pass; progsAside those with
	// programs set aside (a shape may be in both, or twice).
	aside, progsAside []*shapeQueue
	n                 int
	// looks counts the tasks first handed out: what passes cost (tests).
	looks uint64
}

// shapeQueue is the ready tasks of one shape, by program. It is in its
// readyQueue's heads while some program of it is in its own heads and it
// is not set aside. It is kept while it has tasks, or is set aside or has
// programs set aside (restore deletes it then).
type shapeQueue struct {
	shape shape
	progs map[runnable]*progQueue
	heads progHeads
	// asideProgs are its programs set aside in this pass.
	asideProgs []*progQueue
	n          int
	head       int // index in the readyQueue's heads; -1 when not there
	aside      bool
}

// progQueue is the ready tasks of one shape and program. It is in its
// shape's heads while it has tasks and is not set aside.
type progQueue struct {
	taskHeap
	runs  runnable
	head  int32 // index in the shape's heads; -1 when not there (48 bytes, not 64)
	aside bool
}

// oldestHead is the earliest ready time (Unix nanoseconds) of the tasks
// first in line of their shape (those that fit the same workers), the task
// a placement pass tries first of each; 0 when none is ready. A line whose
// first task waits long does not move: its tasks fit no live worker, or
// the workers that fit are all busy. It costs a look per shape, as a
// placement pass does at most (not per program: a queue of generated
// scripts has a program per task).
func (r *readyQueue) oldestHead() int64 {
	var oldest int64
	for _, sq := range r.shapes {
		if len(sq.heads) == 0 {
			continue // set aside (none is, between passes) or empty
		}
		if since := sq.peek().since; since > 0 && (oldest == 0 || since < oldest) {
			oldest = since
		}
	}
	return oldest
}

// peek is the shape's first task: of its first program not set aside.
func (sq *shapeQueue) peek() *queued { return sq.heads[0].peek() }

func newReadyQueue() *readyQueue { return &readyQueue{shapes: map[shape]*shapeQueue{}} }

// Len is how many tasks are ready, set aside or not.
func (r *readyQueue) Len() int { return r.n }

func (r *readyQueue) push(q *queued) {
	sq := r.shapes[q.shape]
	if sq == nil {
		sq = &shapeQueue{shape: q.shape, progs: map[runnable]*progQueue{}, head: -1}
		r.shapes[q.shape] = sq
	}
	pq := sq.progs[q.runs]
	if pq == nil {
		pq = &progQueue{taskHeap: taskHeap{less: readyFirst}, runs: q.runs, head: -1}
		sq.progs[q.runs] = pq
	}
	heap.Push(&pq.taskHeap, q)
	sq.n++
	r.n++
	switch {
	case pq.aside:
	case pq.head < 0:
		heap.Push(&sq.heads, pq)
	default:
		heap.Fix(&sq.heads, int(pq.head))
	}
	r.settle(sq)
}

// remove takes q, which is in the queue, out of it.
func (r *readyQueue) remove(q *queued) {
	sq := r.shapes[q.shape]
	pq := sq.progs[q.runs]
	heap.Remove(&pq.taskHeap, int(q.index))
	r.taken(sq, pq)
}

// first returns the first task of the first shape not set aside, or nil.
func (r *readyQueue) first() (*queued, *shapeQueue) {
	if len(r.heads) == 0 {
		return nil, nil
	}
	r.looks++
	return r.heads[0].peek(), r.heads[0]
}

// pop takes the first task of sq.
func (r *readyQueue) pop(sq *shapeQueue) *queued {
	pq := sq.heads[0]
	q := heap.Pop(&pq.taskHeap).(*queued)
	r.taken(sq, pq)
	return q
}

// taken settles pq and sq after a task of theirs was taken out.
func (r *readyQueue) taken(sq *shapeQueue, pq *progQueue) {
	sq.n--
	r.n--
	switch {
	case pq.Len() > 0:
		if pq.head >= 0 {
			heap.Fix(&sq.heads, int(pq.head))
		}
	default:
		if pq.head >= 0 {
			heap.Remove(&sq.heads, int(pq.head))
		}
		if !pq.aside {
			delete(sq.progs, pq.runs)
		}
	}
	r.settle(sq)
}

// settle puts sq where its first task (or having none) says.
func (r *readyQueue) settle(sq *shapeQueue) {
	switch {
	case sq.aside:
	case len(sq.heads) == 0: // empty, or its programs all set aside
		if sq.head >= 0 {
			heap.Remove(&r.heads, sq.head)
		}
	case sq.head < 0:
		heap.Push(&r.heads, sq)
	default:
		heap.Fix(&r.heads, sq.head)
	}
	if sq.n == 0 && !sq.aside && len(sq.asideProgs) == 0 && r.shapes[sq.shape] == sq {
		delete(r.shapes, sq.shape)
	}
}

// setAside takes sq out of the pass: first skips its tasks until restore.
func (r *readyQueue) setAside(sq *shapeQueue) {
	heap.Remove(&r.heads, sq.head)
	sq.aside = true
	r.aside = append(r.aside, sq)
}

// setAsideProgram takes sq's first program out of the pass: first skips
// its tasks until restore.
func (r *readyQueue) setAsideProgram(sq *shapeQueue) {
	pq := heap.Pop(&sq.heads).(*progQueue)
	pq.aside = true
	if len(sq.asideProgs) == 0 {
		r.progsAside = append(r.progsAside, sq)
	}
	sq.asideProgs = append(sq.asideProgs, pq)
	r.settle(sq)
}

// restore ends a pass: the shapes and programs set aside are in the
// running again.
func (r *readyQueue) restore() {
	for _, sq := range r.aside {
		sq.aside = false // out of the heads: settled below
	}
	// One shape at a time: its first task changes as its programs return,
	// and the heads' heap is fixed for one changed shape at a time.
	for _, sq := range r.progsAside {
		for _, pq := range sq.asideProgs {
			pq.aside = false
			if pq.Len() > 0 {
				heap.Push(&sq.heads, pq)
			} else if sq.progs[pq.runs] == pq {
				delete(sq.progs, pq.runs)
			}
		}
		clear(sq.asideProgs)
		sq.asideProgs = sq.asideProgs[:0]
		r.settle(sq)
	}
	for _, sq := range r.aside {
		r.settle(sq)
	}
	clear(r.aside)
	clear(r.progsAside)
	r.aside, r.progsAside = r.aside[:0], r.progsAside[:0]
}

// headed is a queue kept in a heap of queues by its first task, knowing its
// index there (-1: not there).
type headed interface {
	peek() *queued
	setHead(i int)
}

func (pq *progQueue) setHead(i int)  { pq.head = int32(i) }
func (sq *shapeQueue) setHead(i int) { sq.head = i }

// headHeap is a heap of queues by their first task: a shape's programs
// (progHeads), the ready queue's shapes (shapeHeads).
type headHeap[T headed] []T

type (
	progHeads  = headHeap[*progQueue]
	shapeHeads = headHeap[*shapeQueue]
)

func (h headHeap[T]) Len() int           { return len(h) }
func (h headHeap[T]) Less(i, j int) bool { return readyFirst(h[i].peek(), h[j].peek()) }
func (h headHeap[T]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].setHead(i)
	h[j].setHead(j)
}
func (h *headHeap[T]) Push(x any) {
	q := x.(T)
	q.setHead(len(*h))
	*h = append(*h, q)
}
func (h *headHeap[T]) Pop() any {
	old := *h
	q := old[len(old)-1]
	var none T
	old[len(old)-1] = none
	q.setHead(-1)
	*h = old[:len(old)-1]
	return q
}
