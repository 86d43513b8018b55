package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/store"
)

// leader is the state of one term: an in-memory view of workers, their
// assignments and the queue, kept current by watches and rebuilt from ZooKeeper
// at the start of the term. Every write it makes is fenced by the term.
type leader struct {
	s     *Scheduler
	st    *store.Store
	lay   store.Layout
	term  *Term
	epoch int64
	log   zerolog.Logger
	now   func() time.Time

	workers map[string]*workerView
	known   map[string]*queued // queued task id -> entry
	// byBucket indexes known by queue bucket (b1+b2), so relisting a bucket
	// costs the bucket's size, not the queue's.
	byBucket map[string]map[string]*queued
	ready    *taskHeap
	delayed  *taskHeap

	schedules map[string]*cronEntry
	// dirty are queue buckets ("b1/b2") changed since last listed.
	dirty      map[string]bool
	dirtySince time.Time

	// watched holds the paths with a live child watch, so each is set once.
	watched map[string]bool
	// results carries the outcomes of placement transactions in flight; gen
	// tells results of the current view from those of a view since rebuilt.
	results  chan batchResult
	inflight int
	gen      uint64
	// turn counts placements; it orders workers by when they last got work.
	turn   uint64
	events chan watchEvent
	done   chan struct{}
	wg     sync.WaitGroup
}

type workerView struct {
	slot
	reg int64
	// pending counts placements on this worker whose transaction is in flight.
	pending int
	// assigned are this worker's assignment names (task.attempt).
	assigned map[string]bool
	// checked are assignment names whose registration was verified, with the
	// time after which the leader withdraws the attempt (zero: no timeout).
	checked map[string]time.Time
}

type watchKind int

const (
	watchWorkers watchKind = iota
	watchWorker
	watchWorkerTasks
	watchQueueRoot
	watchQueueL1
	watchQueueL2
	watchSchedules
	watchSchedule
)

type watchEvent struct {
	kind watchKind
	path string
	arg  string // worker id, b1, or b1/b2
}

func newLeader(s *Scheduler, term *Term, epoch int64) *leader {
	return &leader{
		s: s, st: s.cfg.Store, lay: s.cfg.Store.Layout(), term: term, epoch: epoch,
		log: s.log.With().Str("leader", s.cfg.ID).Int64("epoch", epoch).Logger(), now: s.cfg.Now,
		workers: map[string]*workerView{}, known: map[string]*queued{}, byBucket: map[string]map[string]*queued{},
		ready: &taskHeap{less: readyFirst}, delayed: &taskHeap{less: dueFirst}, schedules: map[string]*cronEntry{}, dirty: map[string]bool{},
		results: make(chan batchResult, 4*maxInflight),
		watched: map[string]bool{}, events: make(chan watchEvent, 1024), done: make(chan struct{}),
	}
}

// stop ends the watch forwarders.
func (l *leader) stop() {
	close(l.done)
	l.wg.Wait()
}

// resetTimer makes t fire at the given time (zero: not soon). Since Go 1.23 a
// Reset discards any expiry not yet received, so no draining is needed.
func resetTimer(t *time.Timer, at, now time.Time) {
	if at.IsZero() {
		t.Reset(time.Hour)
		return
	}
	t.Reset(max(at.Sub(now), 0))
}

// maxDirty bounds how long a changed queue bucket waits to be relisted while
// the leader has enough ready work; lowWater is "not enough".
const (
	maxDirty = 250 * time.Millisecond
	lowWater = 256
)

// flushDirty relists changed queue buckets: at once when the ready queue runs
// low (so new work is seen within milliseconds on a quiet cluster), otherwise
// at most maxDirty after the first change (force).
func (l *leader) flushDirty(force bool) error {
	if len(l.dirty) == 0 || (!force && l.ready.Len() >= lowWater && l.now().Sub(l.dirtySince) < maxDirty) {
		return nil
	}
	dirty := l.dirty
	l.dirty, l.dirtySince = map[string]bool{}, time.Time{}
	for b := range dirty {
		b1, b2, _ := strings.Cut(b, "/")
		if err := l.syncQueueL2(b1, b2); err != nil {
			return err
		}
	}
	return nil
}

// errResync means a write's outcome is unknown; the view must be rebuilt.
var errResync = errors.New("view out of date")

func (l *leader) run(ctx context.Context) error {
	for {
		err := l.serve(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, store.ErrFenced) {
			return err
		}
		if !errors.Is(err, errResync) && !errors.Is(err, store.ErrConnection) {
			return err
		}
		l.log.Warn().Err(err).Msg("rebuilding view")
		if _, err := l.st.CurrentSession(ctx); err != nil {
			return err
		}
		l.reset()
	}
}

// reset forgets the view; watches already set keep forwarding, and the next sync
// sets fresh ones (duplicates only cause extra relists).
func (l *leader) reset() {
	l.workers = map[string]*workerView{}
	for _, q := range l.known {
		l.s.counters.queued[prioIndex(q.task.Priority)].Add(-1)
	}
	l.known = map[string]*queued{}
	l.byBucket = map[string]map[string]*queued{}
	l.schedules = map[string]*cronEntry{}
	l.dirty, l.dirtySince = map[string]bool{}, time.Time{}
	l.gen++
	l.ready, l.delayed = &taskHeap{less: readyFirst}, &taskHeap{less: dueFirst}
	l.watched = map[string]bool{}
}

func (l *leader) serve(ctx context.Context) error {
	start := l.now()
	if err := l.syncWorkers(); err != nil {
		return err
	}
	if err := l.syncOrphanTaskDirs(); err != nil {
		return err
	}
	if err := l.syncQueueRoot(); err != nil {
		return err
	}
	if err := l.syncSchedules(); err != nil {
		return err
	}
	l.log.Info().Int("workers", len(l.workers)).Int("queued", len(l.known)).Int("schedules", len(l.schedules)).
		Dur("took", l.now().Sub(start)).Msg("view rebuilt")
	if err := l.pruneResults(); err != nil {
		return err
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	cronTimer := time.NewTimer(time.Hour)
	defer cronTimer.Stop()
	overdue := time.NewTicker(time.Second)
	defer overdue.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	flushTimer := time.NewTimer(time.Hour)
	defer flushTimer.Stop()
	for {
		if err := l.flushDirty(false); err != nil {
			return err
		}
		if err := l.promoteDue(); err != nil {
			return err
		}
		if err := l.place(); err != nil {
			return err
		}
		var flushAt time.Time
		if !l.dirtySince.IsZero() {
			flushAt = l.dirtySince.Add(maxDirty)
		}
		resetTimer(flushTimer, flushAt, l.now())
		resetTimer(cronTimer, l.nextCron(), l.now())
		var due time.Time
		if l.delayed.Len() > 0 {
			due = l.delayed.peek().task.NotBefore
		}
		resetTimer(timer, due, l.now())
		connected, changed := l.st.Connected()
		if !connected {
			// Pause placement until the session is back (or gone: then the term ends).
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-changed:
				continue
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case r := <-l.results:
			if err := l.settle(r); err != nil {
				return err
			}
		case <-timer.C:
		case <-flushTimer.C:
			if err := l.flushDirty(true); err != nil {
				return err
			}
		case <-cronTimer.C:
			if err := l.fireDue(); err != nil {
				return err
			}
		case <-prune.C:
			if err := l.pruneResults(); err != nil {
				return err
			}
		case <-overdue.C:
			if err := l.withdrawOverdue(); err != nil {
				return err
			}
		case <-changed:
		case ev := <-l.events:
			if err := l.handle(ev); err != nil {
				return err
			}
			// Drain what else arrived before placing again.
			for drained := 0; drained < 256; drained++ {
				select {
				case ev := <-l.events:
					if err := l.handle(ev); err != nil {
						return err
					}
					continue
				default:
				}
				break
			}
		}
	}
}

func (l *leader) handle(ev watchEvent) error {
	l.fired(ev.path)
	switch ev.kind {
	case watchWorkers, watchWorker:
		return l.syncWorkers()
	case watchWorkerTasks:
		return l.syncWorkerTasks(ev.arg)
	case watchQueueRoot:
		return l.syncQueueRoot()
	case watchQueueL1:
		return l.syncQueueL1(ev.arg)
	case watchQueueL2:
		// Relisted later, in flushDirty: most changes to a busy bucket are this
		// leader's own placements, and relisting a bucket per placement batch
		// would cost the bucket's size each time.
		if l.dirtySince.IsZero() {
			l.dirtySince = l.now()
		}
		l.dirty[ev.arg] = true
		return nil
	case watchSchedules:
		return l.syncSchedules()
	case watchSchedule:
		return l.readSchedule(ev.arg)
	}
	return nil
}

// childrenW lists path and, unless a watch on it is live, sets one whose firing
// is forwarded to the event loop. ok is false when path does not exist.
func (l *leader) childrenW(kind watchKind, path, arg string) (kids []string, ok bool, err error) {
	if l.watched[path] {
		// The live watch will tell us about the next change; list without one.
		kids, err = l.st.Children(path)
	} else {
		var ch <-chan store.Event
		kids, ch, err = l.st.ChildrenW(path)
		if err == nil {
			l.watched[path] = true
			l.forward(ch, watchEvent{kind: kind, path: path, arg: arg})
		}
	}
	if errors.Is(err, store.ErrNoNode) {
		return nil, false, nil
	}
	return kids, err == nil, err
}

func (l *leader) forward(ch <-chan store.Event, ev watchEvent) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		select {
		case <-ch:
		case <-l.done:
			return
		}
		select {
		case l.events <- ev:
		case <-l.done:
		}
	}()
}

// fired marks a path's watch as spent, so the next listing sets a new one. Only
// the handler of a fired watch calls it: listing for any other reason keeps the
// live watch and never stacks a duplicate.
func (l *leader) fired(path string) { delete(l.watched, path) }

// ---- workers ----

func (l *leader) syncWorkers() error {
	defer func() { l.s.counters.workers.Store(int64(len(l.workers))) }()
	ids, _, err := l.childrenW(watchWorkers, l.lay.Workers(), "")
	if err != nil {
		return err
	}
	present := make(map[string]bool, len(ids))
	for _, id := range ids {
		present[id] = true
		e, err := l.readWorker(id)
		if errors.Is(err, store.ErrNoNode) {
			present[id] = false
			continue
		}
		if err != nil {
			return err
		}
		if e == nil { // malformed: quarantined
			present[id] = false
			continue
		}
		w := l.workers[id]
		if w != nil && w.reg != e.Reg {
			l.log.Warn().Str("worker_id", id).Msg("worker registered anew: recovering its earlier work")
		}
		if w == nil || w.reg != e.Reg {
			w = &workerView{reg: e.Reg, assigned: map[string]bool{}, checked: map[string]time.Time{}}
			l.workers[id] = w
			l.log.Info().Str("worker_id", id).Int("capacity", e.Info.Capacity).Msg("worker joined")
		}
		w.slot = slot{ID: id, Labels: e.Info.Labels, Capacity: e.Info.Capacity, Used: len(w.assigned), Draining: e.Info.Draining, Handlers: e.Info.Handlers, Last: w.Last}
		if err := l.st.EnsurePath(l.lay.WorkerTasks(id)); err != nil {
			return err
		}
		if err := l.syncWorkerTasks(id); err != nil {
			return err
		}
	}
	for id := range l.workers {
		if !present[id] {
			l.log.Warn().Str("worker_id", id).Msg("worker left: re-queueing its attempts")
			delete(l.workers, id)
			if err := l.syncWorkerTasks(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// readWorker reads a registration, watching it (once) so a change such as
// draining is seen.
func (l *leader) readWorker(id string) (*store.WorkerEntry, error) {
	p := l.lay.Worker(id)
	if l.watched[p] {
		return l.st.Worker(id)
	}
	e, ev, err := l.st.WorkerW(id)
	if err == nil {
		l.watched[p] = true
		l.forward(ev, watchEvent{kind: watchWorker, path: p, arg: id})
	}
	return e, err
}

// syncOrphanTaskDirs recovers assignment directories of workers that are not
// registered (found at takeover).
func (l *leader) syncOrphanTaskDirs() error {
	dirs, err := l.st.Children(l.lay.Tasks())
	if err != nil {
		return err
	}
	for _, id := range dirs {
		if l.workers[id] == nil {
			if err := l.syncWorkerTasks(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// syncWorkerTasks relists a worker's assignments. For a live worker it tracks its
// load and re-queues assignments made to an earlier registration; for a worker
// that is gone it re-queues everything and removes the directory.
func (l *leader) syncWorkerTasks(id string) error {
	dir := l.lay.WorkerTasks(id)
	w := l.workers[id]
	var kids []string
	var ok bool
	var err error
	if w != nil {
		kids, ok, err = l.childrenW(watchWorkerTasks, dir, id)
	} else {
		kids, err = l.st.Children(dir)
		ok = err == nil
		if errors.Is(err, store.ErrNoNode) {
			err = nil
		}
	}
	if err != nil {
		return err
	}
	if !ok {
		if w != nil {
			w.assigned, w.Used = map[string]bool{}, 0
		}
		return nil
	}
	now := map[string]bool{}
	for _, name := range kids {
		if w != nil {
			if _, ok := w.checked[name]; ok {
				now[name] = true
				continue
			}
		}
		keep, deadline, err := l.checkAssignment(id, w, name)
		if err != nil {
			return err
		}
		if keep {
			now[name] = true
			w.checked[name] = deadline
		}
	}
	if w == nil {
		if len(kids) == 0 || len(now) == 0 {
			err := l.st.Txn().Fence(l.term.Fence, -1).Delete(dir, -1).Commit()
			if err != nil && !errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrNotEmpty) {
				return err
			}
		}
		return nil
	}
	for name := range w.checked {
		if !now[name] {
			delete(w.checked, name)
		}
	}
	w.assigned = now
	w.Used = len(now) + w.pending
	return nil
}

// checkAssignment reads one assignment of worker id (w nil: the worker is gone)
// and re-queues it unless it belongs to the worker's current registration.
func (l *leader) checkAssignment(id string, w *workerView, name string) (keep bool, deadline time.Time, err error) {
	for {
		keep, deadline, err = l.checkAssignmentOnce(id, w, name)
		if !errors.Is(err, errChanged) {
			return keep, deadline, err
		}
		// The worker wrote the assignment (marked it running) between our read
		// and our write: read it again.
	}
}

// errChanged means an assignment changed between read and write.
var errChanged = errors.New("assignment changed meanwhile")

func (l *leader) checkAssignmentOnce(id string, w *workerView, name string) (keep bool, deadline time.Time, err error) {
	p := l.lay.WorkerTasks(id) + "/" + name
	data, stat, err := l.st.Get(p)
	if errors.Is(err, store.ErrNoNode) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	task, derr := store.DecodeTask(data)
	if derr == nil {
		if tid, attempt, perr := store.ParseAssignmentName(name); perr != nil || tid != task.ID || attempt != task.Attempt {
			derr = fmt.Errorf("%w: assignment %s holds task %s attempt %d", store.ErrMalformed, name, task.ID, task.Attempt)
		}
	}
	if derr != nil {
		if err := l.st.Quarantine(p, data, stat.Version, derr); err != nil && !errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrBadVersion) {
			return false, time.Time{}, err
		}
		return false, time.Time{}, nil
	}
	if w != nil && task.Reg == w.reg {
		return true, l.deadline(task), nil
	}
	return false, time.Time{}, l.recoverAttempt(p, stat.Version, task, "worker lost", true)
}

// deadline is when the leader withdraws an attempt that outlived its timeout:
// the worker enforces the timeout itself, so this only catches a worker that is
// alive but stuck.
func (l *leader) deadline(task *store.Task) time.Time {
	if task.Timeout <= 0 || task.AssignedAt.IsZero() {
		return time.Time{}
	}
	return task.AssignedAt.Add(task.Timeout.Duration() + l.s.cfg.TimeoutGrace)
}

// withdrawOverdue withdraws attempts past their deadline and queues their next
// attempt (or records the task dead): such an attempt counts as failed.
func (l *leader) withdrawOverdue() error {
	now := l.now()
	for id, w := range l.workers {
		for name, dl := range w.checked {
			if dl.IsZero() || now.Before(dl) {
				continue
			}
			p := l.lay.WorkerTasks(id) + "/" + name
			data, stat, err := l.st.Get(p)
			if errors.Is(err, store.ErrNoNode) {
				continue
			}
			if err != nil {
				return err
			}
			task, err := store.DecodeTask(data)
			if err != nil {
				continue // the next relist quarantines it
			}
			l.log.Warn().Str("task_id", task.ID).Str("worker_id", id).Int("attempt", task.Attempt).
				Msg("attempt outlived its timeout on a stuck worker: withdrawing it")
			why := fmt.Sprintf("timeout after %v: withdrawn by the leader", task.Timeout.Duration())
			switch err := l.recoverAttempt(p, stat.Version, task, why, false); {
			case err == nil:
				w.checked[name] = time.Time{} // the relist that follows drops it
			case !errors.Is(err, errChanged): // changed: try again at the next tick
				return err
			}
		}
	}
	return nil
}

// recoverAttempt withdraws an attempt whose worker is gone and queues the next
// one (or records the task dead), in one fenced transaction.
func (l *leader) recoverAttempt(path string, version int32, task *store.Task, why string, lost bool) error {
	now := l.now().UTC()
	next := task.Clone()
	next.History = append(next.History, store.Attempt{
		N: task.Attempt, Worker: task.Worker, StartedAt: task.StartedAt, FinishedAt: now,
		ExitCode: -1, Error: why, Lost: lost,
	})
	log := l.log.With().Str("task_id", task.ID).Str("worker_id", task.Worker).Int("attempt", task.Attempt).Logger()
	retry := next.ShouldRetry()
	err := l.st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Fence(l.term.Fence, -1).Delete(path, version)
		if retry {
			n := next.Clone()
			n.Attempt++
			n.NotBefore = time.Time{}
			return txn.Enqueue(n)
		}
		n := next.Clone()
		n.State, n.FinishedAt, n.Error = store.StateDead, now, why
		if lost {
			n.Error = "worker lost too often"
		} else if task.Retries == 0 {
			n.State = store.StateFailed
		}
		minus1 := -1
		n.ExitCode = &minus1
		return txn.Finish(n)
	})
	switch {
	case err == nil:
		l.s.counters.recovered.Add(1)
		log.Warn().Bool("requeued", retry).Str("why", why).Msg("attempt withdrawn")
		return nil
	case errors.Is(err, store.ErrFenced), errors.Is(err, store.ErrConnection):
		return err
	case errors.Is(err, store.ErrNoNode):
		// The worker reported meanwhile.
		return nil
	case errors.Is(err, store.ErrBadVersion):
		return errChanged
	case errors.Is(err, store.ErrNodeExists):
		// A queue item or result for this task exists already: the assignment was
		// stale; drop it alone.
		derr := l.st.Txn().Fence(l.term.Fence, -1).Delete(path, version).Commit()
		if derr != nil && !errors.Is(derr, store.ErrNoNode) && !errors.Is(derr, store.ErrBadVersion) {
			return derr
		}
		log.Warn().Msg("dropped a stale duplicate assignment")
		return nil
	}
	return fmt.Errorf("recover %s: %w", path, err)
}

// ---- queue ----

func (l *leader) syncQueueRoot() error {
	root := l.lay.Queue()
	b1s, _, err := l.childrenW(watchQueueRoot, root, "")
	if err != nil {
		return err
	}
	for _, b1 := range b1s {
		if !l.watched[root+"/"+b1] {
			if err := l.syncQueueL1(b1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *leader) syncQueueL1(b1 string) error {
	dir := l.lay.Queue() + "/" + b1
	b2s, ok, err := l.childrenW(watchQueueL1, dir, b1)
	if err != nil || !ok {
		return err
	}
	for _, b2 := range b2s {
		if !l.watched[dir+"/"+b2] {
			if err := l.syncQueueL2(b1, b2); err != nil {
				return err
			}
		}
	}
	if len(b2s) == 0 && l.bucketExpired(b1, "") {
		l.deleteBucket(dir)
	}
	return nil
}

func (l *leader) syncQueueL2(b1, b2 string) error {
	dir := l.lay.QueueBucket(b1, b2)
	ids, ok, err := l.childrenW(watchQueueL2, dir, b1+"/"+b2)
	if err != nil || !ok {
		return err
	}
	present := make(map[string]bool, len(ids))
	var unknown []string
	for _, id := range ids {
		present[id] = true
		if l.known[id] == nil {
			unknown = append(unknown, dir+"/"+id)
		}
	}
	for _, r := range l.st.GetMany(unknown) {
		if err := l.addRead(r); err != nil {
			return err
		}
	}
	// Items gone from this bucket (cancelled, or placed by us) leave the view.
	for id, q := range l.byBucket[b1+b2] {
		if !present[id] {
			l.unqueue(q)
		}
	}
	if len(ids) == 0 && l.bucketExpired(b1, b2) {
		l.deleteBucket(dir)
	}
	return nil
}

func (l *leader) loadQueued(dir, name string) error {
	return l.addRead(l.st.GetMany([]string{dir + "/" + name})[0])
}

// addRead adds a queue item read from ZooKeeper to the view, quarantining it
// when it is malformed.
func (l *leader) addRead(r store.Read) error {
	p, data, stat, err := r.Path, r.Data, r.Stat, r.Err
	name := p[strings.LastIndexByte(p, '/')+1:]
	if errors.Is(err, store.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	task, derr := store.DecodeTask(data)
	if derr == nil && task.ID != name {
		derr = fmt.Errorf("%w: queue item %s holds task %s", store.ErrMalformed, name, task.ID)
	}
	if derr == nil && l.lay.QueueItem(task.ID) != p {
		derr = fmt.Errorf("%w: queue item %s is in the wrong bucket", store.ErrMalformed, p)
	}
	if derr != nil {
		if err := l.st.Quarantine(p, data, stat.Version, derr); err != nil && !errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrBadVersion) {
			return err
		}
		return nil
	}
	l.addQueued(task, stat.Version)
	return nil
}

// addQueued puts a task known to be in the queue (at version) into the view.
func (l *leader) addQueued(task *store.Task, version int32) {
	if old := l.known[task.ID]; old != nil {
		l.unqueue(old)
	}
	q := &queued{task: task, version: version}
	l.known[task.ID] = q
	l.s.counters.queued[prioIndex(task.Priority)].Add(1)
	b1, b2 := store.Bucket(task.ID)
	if l.byBucket[b1+b2] == nil {
		l.byBucket[b1+b2] = map[string]*queued{}
	}
	l.byBucket[b1+b2][task.ID] = q
	if task.NotBefore.After(l.now()) {
		q.delayed = true
		heap.Push(l.delayed, q)
	} else {
		heap.Push(l.ready, q)
	}
}

func (l *leader) unqueue(q *queued) {
	l.forget(q.task.ID)
	if q.index < 0 {
		return
	}
	if q.delayed {
		heap.Remove(l.delayed, q.index)
	} else {
		heap.Remove(l.ready, q.index)
	}
}

// forget drops a task id from the view's indexes (not from the heaps).
func (l *leader) forget(id string) {
	if q := l.known[id]; q != nil {
		l.s.counters.queued[prioIndex(q.task.Priority)].Add(-1)
	}
	delete(l.known, id)
	b1, b2 := store.Bucket(id)
	if m := l.byBucket[b1+b2]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(l.byBucket, b1+b2)
		}
	}
}

// bucketExpired reports whether a bucket's time window ended long enough ago
// that no submitter with a sane clock still writes into it.
func (l *leader) bucketExpired(b1, b2 string) bool {
	return l.now().Sub(windowEnd(b1, b2)) > l.s.cfg.BucketGrace
}

func (l *leader) deleteBucket(dir string) {
	err := l.st.Txn().Fence(l.term.Fence, -1).Delete(dir, -1).Commit()
	if err != nil && !errors.Is(err, store.ErrNotEmpty) && !errors.Is(err, store.ErrNoNode) {
		l.log.Debug().Err(err).Str("bucket", dir).Msg("delete empty bucket")
	}
}

// promoteDue moves tasks whose backoff has passed into the ready queue.
func (l *leader) promoteDue() error {
	now := l.now()
	for l.delayed.Len() > 0 && !l.delayed.peek().task.NotBefore.After(now) {
		q := heap.Pop(l.delayed).(*queued)
		q.delayed = false
		heap.Push(l.ready, q)
	}
	return nil
}

// ---- placement ----

type placement struct {
	q    *queued
	w    *workerView
	task *store.Task // the assignment record
}

// place assigns ready tasks to workers with free capacity, many per fenced
// transaction, until no ready task fits anywhere.
func (l *leader) place() error {
	if l.ready.Len() == 0 || l.inflight >= maxInflight {
		return nil
	}
	slots := make([]*slot, 0, len(l.workers))
	views := make(map[string]*workerView, len(l.workers))
	freeTotal := 0
	for id, w := range l.workers {
		if !w.Draining && w.free() > 0 {
			slots = append(slots, &w.slot)
			views[id] = w
			freeTotal += w.free()
		}
	}
	if freeTotal == 0 {
		return nil
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].ID < slots[j].ID })
	var skipped []*queued
	defer func() {
		for _, q := range skipped {
			heap.Push(l.ready, q)
		}
	}()
	var batch []placement
	size := 0
	now := l.now().UTC()
	for freeTotal > 0 && l.ready.Len() > 0 {
		q := heap.Pop(l.ready).(*queued)
		s := pickWorker(slots, q.task.On, q.task.Handler)
		if s == nil {
			skipped = append(skipped, q)
			continue
		}
		w := views[s.ID]
		l.turn++
		s.Last = l.turn
		t := q.task.Clone()
		t.Worker, t.Reg, t.Epoch, t.AssignedAt, t.NotBefore = s.ID, w.reg, l.epoch, now, time.Time{}
		w.Used++
		w.pending++
		freeTotal--
		batch = append(batch, placement{q: q, w: w, task: t})
		size += 2 * (len(t.Cmd) + len(t.Payload) + 256) // rough; Encode enforces the hard limit
		if len(batch) >= store.MaxBatch/2 || size > 256*1024 {
			if err := l.dispatch(batch); err != nil {
				return err
			}
			batch, size = nil, 0
			if l.inflight >= maxInflight {
				break
			}
		}
	}
	if len(batch) > 0 {
		return l.dispatch(batch)
	}
	return nil
}

// maxInflight is how many placement transactions may be in flight at once:
// pipelining them keeps the leader from waiting a disk sync per batch.
const maxInflight = 4

// batchResult is the outcome of a placement transaction.
type batchResult struct {
	gen   uint64
	batch []placement
	err   error
}

// dispatch starts a batch's fenced transaction; its outcome comes back on
// l.results and is applied by settle in the event loop.
func (l *leader) dispatch(batch []placement) error {
	txn := l.st.Txn().Fence(l.term.Fence, -1)
	for _, p := range batch {
		txn.Delete(l.lay.QueueItem(p.task.ID), p.q.version)
		if err := txn.Assign(p.task); err != nil {
			return l.commitEach(batch)
		}
	}
	l.inflight++
	gen := l.gen
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.results <- batchResult{gen: gen, batch: batch, err: txn.Commit()} // never blocks: cap > maxInflight
	}()
	return nil
}

// settle applies a placement transaction's outcome.
func (l *leader) settle(r batchResult) error {
	l.inflight--
	if r.gen != l.gen {
		return nil // from before a rebuild: the rebuilt view already saw its outcome
	}
	switch {
	case r.err == nil:
		touched := map[string]bool{}
		for _, p := range r.batch {
			l.placed(p)
			touched[p.w.ID] = true
		}
		// The worker may have finished some of these already, and a relist seen
		// before this settle counted them as pending: relist to count exactly.
		for id := range touched {
			if l.workers[id] != nil {
				if err := l.syncWorkerTasks(id); err != nil {
					return err
				}
			}
		}
		return nil
	case errors.Is(r.err, store.ErrFenced):
		return r.err
	case errors.Is(r.err, store.ErrConnection):
		return fmt.Errorf("place %d tasks: %w", len(r.batch), errResync)
	}
	return l.commitEach(r.batch)
}

// commitEach places a batch one task per transaction, so one bad item (its
// queue item gone, a record too large) cannot hold up the rest.
func (l *leader) commitEach(batch []placement) error {
	for _, p := range batch {
		txn := l.st.Txn().Fence(l.term.Fence, -1).Delete(l.lay.QueueItem(p.task.ID), p.q.version)
		err := txn.Assign(p.task)
		if err == nil {
			err = txn.Commit()
		}
		switch {
		case err == nil:
			l.placed(p)
			continue
		case errors.Is(err, store.ErrFenced):
			return err
		case errors.Is(err, store.ErrConnection):
			return fmt.Errorf("place %s: %w", p.task.ID, errResync)
		}
		p.w.Used--
		p.w.pending--
		log := l.log.Warn().Err(err).Str("task_id", p.task.ID).Str("worker_id", p.w.ID)
		if errors.Is(err, store.ErrTooLarge) {
			// Cannot be placed as it stands: move it aside rather than retry forever.
			log.Msg("task too large to assign: moving to deadletter")
			data, stat, gerr := l.st.Get(l.lay.QueueItem(p.task.ID))
			if gerr == nil {
				_ = l.st.Quarantine(l.lay.QueueItem(p.task.ID), data, stat.Version, err)
			}
			l.forget(p.task.ID)
			continue
		}
		log.Msg("placement rejected; re-reading the queue item")
		l.forget(p.task.ID)
		b1, b2 := store.Bucket(p.task.ID)
		if err := l.loadQueued(l.lay.QueueBucket(b1, b2), p.task.ID); err != nil {
			return err
		}
	}
	touched := map[string]bool{}
	for _, p := range batch {
		touched[p.w.ID] = true
	}
	for id := range touched {
		if l.workers[id] != nil {
			if err := l.syncWorkerTasks(id); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *leader) placed(p placement) {
	l.s.counters.placed.Add(1)
	since := p.q.task.SubmittedAt
	if p.q.task.NotBefore.After(since) {
		since = p.q.task.NotBefore
	}
	if !since.IsZero() {
		l.s.counters.placeLatency.observe(p.task.AssignedAt.Sub(since).Seconds())
	}
	l.forget(p.task.ID)
	name := store.AssignmentName(p.task.ID, p.task.Attempt)
	p.w.checked[name] = l.deadline(p.task)
	p.w.pending--
	l.log.Debug().Str("task_id", p.task.ID).Str("worker_id", p.w.ID).Int("attempt", p.task.Attempt).Msg("placed")
}
