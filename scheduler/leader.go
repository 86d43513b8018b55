package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
	// cordoned are the worker ids with a cordon (syncCordons); cordonsSeen
	// every name the last listing of cordons/ had, those no worker id can
	// have too, each read once as it comes.
	cordoned, cordonsSeen map[string]bool
	// byBucket holds the queued tasks by queue bucket (b1+b2) and id: one
	// index serves lookups by id and relisting a bucket at the bucket's cost.
	byBucket map[string]map[string]*queued
	nknown   int // entries in byBucket
	kept     int // entries that hold their record
	// keptBytes is what those records cost, about (keptCost).
	keptBytes int
	ready     *readyQueue
	delayed   *taskHeap
	// startBy holds the queued first attempts bound to start by a time (a
	// slot's task under a starting deadline), earliest first, and
	// startByOf each one's entry: expireStartBy ends them when due.
	startBy   startByHeap
	startByOf map[*queued]*startByEntry
	// held are the queued first attempts held for the tasks they run
	// after (store.Task.After), waitingOn those waits by the task waited
	// for, and afterDue the tasks waited for whose result lookAfter is to
	// look at (see after.go).
	held      map[*queued]*afterWait
	waitingOn map[string]*afterWaiters
	afterDue  map[string]bool
	// afterLater are tasks waited for whose failure could not end a
	// waiter, with when lookAfter looks at them again (the others are
	// not held back).
	afterLater map[string]time.Time
	// afterMoved are tasks waited for whose record left where the leader
	// saw it since lookAfter last looked (lookAgain): looked up again.
	afterMoved map[string]bool
	// afterCompacted counts the entries the waiters' lists were compacted
	// over (afterWaiters.compact), for tests of the work's growth.
	afterCompacted int

	schedules map[string]*cronEntry
	// tombstones are the removed schedules' records seen, to delete once
	// old (sweepTombstones).
	tombstones map[string]tombstone
	// newer are the schedule records this build cannot read but must not
	// move aside: of a newer format (a newer release's, during an upgrade),
	// or in a time zone this host's tzdata lacks (a newer tzdata's), at the
	// version and czxid read: left in place and not fired, and logged once,
	// not at every read.
	newer map[string]znodeAt
	// newerRuns are the active runs of the records in newer, as far as
	// they can be read: retention keeps their results (trackedRuns) for
	// the leader that fires them.
	newerRuns map[string][]string
	// carried is what outlives the term: the Scheduler's (see carried).
	*carried
	// compat are the specs read for compatibility only (ReadSpec's note),
	// by schedule name, as "cron\x00zone": logged once each, however often
	// the record is read again (a firing that raced a change reads it anew).
	compat map[string]string
	// clockReadAt is when sweepTombstones may read ZooKeeper's clock next;
	// zkClock is what it read last, at zkClockAt by the leader's clock.
	clockReadAt, zkClock, zkClockAt time.Time
	// slotFill counts the tasks in each bucket (b1+b2) that slot tasks this
	// term fired have gone into, and so bounds the slot tasks one bucket
	// takes (slotID).
	slotFill map[string]slotCount
	// refreshing is set while refreshRuns reads; refreshes carries what it
	// read.
	refreshing bool
	refreshes  chan runsRefresh
	// cronSeq counts changes to the schedules in the view (entries, their
	// slots, the read-ahead). nextCron and prepareBuckets pass over every
	// schedule again only after one, or a second after their last pass: a
	// pass over 20,000 schedules took 6 ms, and the loop makes one after
	// every event.
	cronSeq             uint64
	nextScan, slotsScan cronScan
	slotBuckets         []string // ids naming the buckets of slots ahead (slotsScan's)
	// prepared holds the buckets prepareBuckets made (or is making), with
	// the end of each one's window; queuedAt is when the view last gained a
	// queued task.
	prepared map[string]time.Time
	queuedAt time.Time
	// dirty are queue buckets ("b1/b2") changed since last listed.
	dirty      map[string]bool
	dirtySince time.Time
	// empty are queue buckets ("b1/b2", or "b1/" for a first-level one)
	// last listed empty, with when sweepEmptyQueue may delete each: a minute
	// after its window, or after it was made (again). Nothing lists an
	// emptied bucket again, so without this it stayed for good: one znode a
	// second of submits. The sweep's goroutine hands back the ones to try
	// again through retry.
	empty map[string]time.Time
	retry struct {
		sync.Mutex
		at map[string]time.Time
	}

	// watched holds the paths with a live watch, so each is set once: kept
	// through a rebuild of the view, whose watches live on (a rebuild that
	// set them anew stacked a watch and a goroutine on each path per
	// rebuild, an idle worker's for the rest of the term). synced holds
	// the queue buckets listed into this view (reset forgets them; a fired
	// watch too): one listed and watched is told of by its watch.
	watched map[string]bool
	synced  map[string]bool
	// results carries the outcomes of placement transactions in flight; gen
	// tells results of the current view from those of a view since rebuilt.
	results  chan batchResult
	inflight int
	// lists carries listings of workers' directories made off the loop.
	lists chan taskList
	gen   uint64
	// turn counts placements; it orders workers by when they last got work.
	turn uint64
	// sink queues fired watches for the loop.
	sink *watchSink
	done chan struct{}
	wg   sync.WaitGroup
	// pruning is set while a pass of result retention runs (startPrune);
	// none starts before pruneAfter.
	pruning    atomic.Bool
	pruneAfter atomic.Pointer[time.Time]
	// resultCounts are the first-level result buckets' counts as passes
	// read them; only the pass running uses them.
	resultCounts map[string]resultCount
	// tracked are the tasks of the runs the schedules held active as the
	// running pass began (trackedRuns); only that pass uses them.
	tracked map[string]bool
	// sweeping is set while sweepEmptyQueue's deletes run.
	sweeping atomic.Bool
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
	watchCordons
	watchResult // a task's result, waited for by tasks that run after it
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
		workers: map[string]*workerView{}, cordoned: map[string]bool{}, cordonsSeen: map[string]bool{}, byBucket: map[string]map[string]*queued{},
		ready: newReadyQueue(), delayed: &taskHeap{less: dueFirst}, startByOf: map[*queued]*startByEntry{}, held: map[*queued]*afterWait{}, waitingOn: map[string]*afterWaiters{}, afterDue: map[string]bool{}, afterLater: map[string]time.Time{}, afterMoved: map[string]bool{}, schedules: map[string]*cronEntry{}, tombstones: map[string]tombstone{}, newer: map[string]znodeAt{}, newerRuns: map[string][]string{}, compat: map[string]string{}, carried: s.carried(), resultCounts: map[string]resultCount{}, slotFill: map[string]slotCount{}, prepared: map[string]time.Time{}, dirty: map[string]bool{}, empty: map[string]time.Time{},
		results: make(chan batchResult, 4*maxInflight), refreshes: make(chan runsRefresh, 1), lists: make(chan taskList, 64),
		watched: map[string]bool{}, synced: map[string]bool{}, sink: newWatchSink(), done: make(chan struct{}),
	}
}

// stop ends the term's goroutines; watches still live queue nothing more.
func (l *leader) stop() { l.end(false) }

// end ends the term's work, waiting for it; at shutdown (Run's context
// ended) for stopWait at most.
func (l *leader) end(shutdown bool) {
	l.sink.close()
	close(l.done)
	if !shutdown {
		l.wg.Wait()
	} else if !l.waitWithin(stopWait) {
		// Run's context ended: the term's work in flight (a retention
		// pass, a write) takes no context, and over a silent link waits
		// for the client to give the connection up, two thirds of a
		// session timeout. Its writes are fenced by the election znode
		// Resign deletes (or hands to the store); it ends on its own.
		l.log.Warn().Dur("waited_ms", stopWait).Msg("the term's work still waits on ZooKeeper: left to end on its own")
		return
	}
	for { // placements the term did not settle: counted, or left to the next
		select {
		case r := <-l.results:
			l.tally(r)
		default:
			return
		}
	}
}

// stopWait bounds how long a term's work may hold up Run's return once
// Run's context has ended (see leader.stop).
const stopWait = 500 * time.Millisecond

// waitWithin waits for the term's work up to d, and reports whether it
// ended.
func (l *leader) waitWithin(d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, err := store.Await(ctx, func() (struct{}, error) { l.wg.Wait(); return struct{}{}, nil })
	return err == nil
}

// replyLost reports whether err leaves a write's outcome unknown: its
// connection, or its session, was lost with the request sent.
func replyLost(err error) bool {
	return errors.Is(err, store.ErrConnection) || errors.Is(err, store.ErrSessionExpired)
}

// errTermOver ends work of a goroutine of the term once the term has ended.
var errTermOver = errors.New("term over")

// goOnce runs fn from a goroutine of the term, which stop waits for, unless
// the one busy marks is still running; it reports whether it started fn.
func (l *leader) goOnce(busy *atomic.Bool, fn func()) bool {
	if !busy.CompareAndSwap(false, true) {
		return false
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer busy.Store(false)
		fn()
	}()
	return true
}

// termOver reports whether the leader's term has ended (stop).
func (l *leader) termOver() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
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
		if err := l.awaitPlacements(ctx); err != nil {
			return err
		}
		if err := l.syncForRebuild(ctx); err != nil {
			return err
		}
		l.reset()
	}
}

// syncForRebuild waits for the session and syncs the connection's server
// with the ensemble's leader before the view is listed again: after a lost
// connection the client may be on another server, one that has not yet
// applied a write the old server forwarded (a placement whose reply was
// lost, say), and the rebuilt view would miss it. One round trip per
// rebuild. (As LookupTaskIn does before its listings.)
func (l *leader) syncForRebuild(ctx context.Context) error {
	for {
		if _, err := l.st.CurrentSession(ctx); err != nil {
			return err
		}
		err := l.st.Sync(l.lay.Root)
		if err == nil || !errors.Is(err, store.ErrConnection) {
			return err
		}
	}
}

// awaitPlacements waits until the placements in flight have ended,
// dropping their outcomes: the view is to be read again. A placement that
// committed after the new view listed its queue item would leave the task
// queued in that view, to be placed again from its old record once its
// retry is queued under the same name and version (the attempt run twice,
// its failure and the retry's backoff lost). Each ends soon: it gets its
// reply, or fails with its connection or session.
func (l *leader) awaitPlacements(ctx context.Context) error {
	for l.inflight > 0 {
		if testHookAwaitPlacements != nil {
			testHookAwaitPlacements()
		}
		select {
		case r := <-l.results:
			l.inflight--
			l.tally(r)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// testHookAwaitPlacements, when set by a test, runs each time
// awaitPlacements waits for a placement; testHookDispatch runs as each
// placement's transaction begins.
var testHookAwaitPlacements, testHookDispatch func()

// testHookServe, when set by a test, runs as each view is built, before
// anything is listed.
var testHookServe func(*Scheduler)

// reset forgets the view; watches already set keep firing into the sink
// (watched), and the next sync lists everything again without setting them
// twice.
func (l *leader) reset() {
	l.s.counters.viewReady.Store(false)
	l.workers, l.cordoned, l.cordonsSeen = map[string]*workerView{}, map[string]bool{}, map[string]bool{}
	for _, m := range l.byBucket {
		for _, q := range m {
			l.s.counters.queued[prioIndex(store.Priority(q.priority))].Add(-1)
		}
	}
	l.byBucket, l.nknown, l.kept, l.keptBytes = map[string]map[string]*queued{}, 0, 0, 0
	l.schedules, l.tombstones, l.newer, l.newerRuns = map[string]*cronEntry{}, map[string]tombstone{}, map[string]znodeAt{}, map[string][]string{}
	l.changed()
	l.dirty, l.dirtySince = map[string]bool{}, time.Time{}
	l.empty = map[string]time.Time{}
	l.gen++
	l.ready, l.delayed = newReadyQueue(), &taskHeap{less: dueFirst}
	l.startBy, l.startByOf = nil, map[*queued]*startByEntry{}
	l.resetHeld()
	l.synced = map[string]bool{}
}

func (l *leader) serve(ctx context.Context) error {
	start := l.now()
	if testHookServe != nil {
		testHookServe(l.s)
	}
	// Before the queue is listed: its retries' backoffs count on it.
	if err := l.readZookeeperClock(); err != nil {
		return err
	}
	// Before the workers: nothing is placed on a cordoned worker as it
	// joins the view.
	if err := l.syncCordons(); err != nil {
		return err
	}
	if err := l.syncWorkers(); err != nil { // and orphaned directories
		return err
	}
	if err := l.syncQueueRoot(); err != nil {
		return err
	}
	if err := l.syncSchedules(); err != nil {
		return err
	}
	l.tallyPlaced()
	l.tallyWithdrawn()
	l.log.Info().Int("workers", len(l.workers)).Int("queued", l.nknown).Int("schedules", len(l.schedules)).
		Dur("took_ms", l.now().Sub(start)).Msg("view rebuilt")
	// Before the view is said ready, which reports it: its first look
	// (overdue) comes a second later, and 0 read as none queued.
	l.lookAtQueue()
	l.s.counters.viewReady.Store(true)
	l.startPrune()
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
		if connected, _ := l.st.Connected(); connected {
			// Before placing: a task past its StartBy is ended, not placed.
			if err := l.expireStartBy(); err != nil {
				return err
			}
			if err := l.lookAfter(); err != nil {
				return err
			}
		}
		if err := l.place(); err != nil {
			return err
		}
		l.prepareBuckets()
		var flushAt time.Time
		if !l.dirtySince.IsZero() {
			flushAt = l.dirtySince.Add(maxDirty)
		}
		resetTimer(flushTimer, flushAt, l.now())
		resetTimer(cronTimer, l.nextCron(), l.now())
		var due time.Time
		if l.delayed.Len() > 0 {
			due = time.Unix(0, l.delayed.peek().notBefore)
		}
		if by := l.nextStartBy(); !by.IsZero() && (due.IsZero() || by.Before(due)) {
			due = by
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
		case r := <-l.lists:
			if err := l.applyTaskList(r); err != nil {
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
			l.refreshRuns(l.now())
		case r := <-l.refreshes:
			l.applyRefresh(r)
		case <-prune.C:
			l.startPrune()
		case <-overdue.C:
			l.lookAtQueue()
			if err := l.withdrawOverdue(); err != nil {
				return err
			}
			l.sweepEmptyQueue()
			if err := l.sweepTombstones(); err != nil {
				return err
			}
		case <-changed:
		case <-l.sink.wake:
			// What fired, a batch at a time, before placing again.
			if err := l.handleAll(l.sink.take(257)); err != nil {
				return err
			}
		}
	}
}

// handleAll handles watch events in order, except that the schedules whose
// data changed are read at the end, together, pipelined: each schedule a
// firing wrote comes back as an event of its own.
//
// When one fails the view is rebuilt (serve returns), and the events after
// it are not handled: their watches have fired all the same, so their paths
// are marked unwatched for the rebuild to watch them again. Left marked,
// nothing would watch them for the rest of the term.
func (l *leader) handleAll(evs []watchEvent) error {
	var names []string
	seen := map[string]bool{}
	for i, ev := range evs {
		if ev.kind != watchSchedule {
			if err := l.handle(ev); err != nil {
				for _, rest := range evs[i+1:] {
					l.fired(rest.path)
				}
				return err
			}
			continue
		}
		l.fired(ev.path)
		if !seen[ev.arg] {
			seen[ev.arg] = true
			names = append(names, ev.arg)
		}
	}
	for i, r := range l.readSchedules(names) {
		if err := l.applySchedule(names[i], r); err != nil {
			return err
		}
	}
	return nil
}

// handle handles one watch event other than a schedule's.
func (l *leader) handle(ev watchEvent) error {
	l.fired(ev.path)
	switch ev.kind {
	case watchWorkers:
		return l.syncWorkers()
	case watchWorker:
		return l.syncWorker(ev.arg)
	case watchWorkerTasks:
		l.listWorkerTasks(ev.arg)
		return nil
	case watchQueueRoot:
		return l.syncQueueRoot()
	case watchQueueL1:
		return l.syncQueueL1(ev.arg)
	case watchQueueL2:
		// Relisted later, in flushDirty: most changes to a busy bucket are this
		// leader's own placements, and relisting a bucket per placement batch
		// would cost the bucket's size each time.
		l.markBucketDirty(ev.arg)
		return nil
	case watchSchedules:
		return l.syncSchedules()
	case watchCordons:
		return l.syncCordons()
	case watchResult:
		if l.waitingOn[ev.arg] != nil {
			l.afterDue[ev.arg] = true
		}
		return nil
	}
	return nil // watchSchedule: handleAll reads those together
}

// childrenW lists path and, unless a watch on it is live, sets one whose firing
// is queued for the event loop. ok is false when path does not exist.
func (l *leader) childrenW(kind watchKind, path, arg string) (kids []string, ok bool, err error) {
	kids, _, ok, err = l.listW(kind, path, arg)
	return kids, ok, err
}

// listW is childrenW that also returns the directory's stat.
func (l *leader) listW(kind watchKind, path, arg string) (kids []string, stat store.Stat, ok bool, err error) {
	if l.watched[path] {
		// The live watch will tell us about the next change; list without one.
		kids, stat, err = l.st.List(path)
	} else {
		kids, stat, err = l.st.ListWFunc(path, l.sink.on(watchEvent{kind: kind, path: path, arg: arg}))
		if err == nil {
			l.watched[path] = true
		}
	}
	if errors.Is(err, store.ErrNoNode) {
		return nil, store.Stat{}, false, nil
	}
	return kids, stat, err == nil, err
}

// fired marks a path's watch as spent, so the next listing sets a new one. Only
// the handler of a fired watch calls it: listing for any other reason keeps the
// live watch and never stacks a duplicate.
func (l *leader) fired(path string) {
	delete(l.watched, path)
	delete(l.synced, path)
}

// ---- queue ----

func (l *leader) syncQueueRoot() error {
	root := l.lay.Queue()
	b1s, _, err := l.childrenW(watchQueueRoot, root, "")
	if err != nil {
		return err
	}
	if b1s, err = l.onlyBuckets(root, b1s, ""); err != nil {
		return err
	}
	for _, b1 := range b1s {
		if p := root + "/" + b1; !l.watched[p] || !l.synced[p] {
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
	if b2s, err = l.onlyBuckets(dir, b2s, b1); err != nil {
		return err
	}
	l.synced[dir] = true
	var todo []string
	for _, b2 := range b2s {
		if p := dir + "/" + b2; !l.watched[p] || !l.synced[p] {
			todo = append(todo, b2)
		}
	}
	if len(todo) == 1 {
		if err := l.syncQueueL2(b1, todo[0]); err != nil {
			return err
		}
	} else if len(todo) > 1 {
		// Listed pipelined: a takeover lists every bucket, and one after
		// another 160,000 of them (empty ones, made again as results of
		// old tasks were written) kept the view from being ready for a
		// minute.
		lists, err := l.listQueueBuckets(b1, todo)
		if err != nil {
			return err
		}
		for i, b2 := range todo {
			if err := l.applyQueueL2(b1, b2, lists[i].ids, lists[i].ok, manifestCopy{}); err != nil {
				return err
			}
		}
	}
	if len(b2s) == 0 {
		l.empty[b1+"/"] = l.bucketDue(b1, "")
	} else {
		delete(l.empty, b1+"/")
	}
	return nil
}

// onlyBuckets returns the names listed in the queue directory dir that are
// buckets (first-level ones with b1 "", else b1's), and moves the others to
// deadletter: a task record written a level too high (queue/<task-id>) was
// taken for an empty bucket, and the sweep deleted it, unrecorded. One with
// znodes under it, which cannot be moved, is passed over.
func (l *leader) onlyBuckets(dir string, names []string, b1 string) ([]string, error) {
	var junk []string
	names = slices.DeleteFunc(names, func(n string) bool {
		b, b2 := n, ""
		if b1 != "" {
			b, b2 = b1, n
		}
		if !store.IsBucket(b, b2) {
			junk = append(junk, dir+"/"+n)
			return true
		}
		return false
	})
	if len(junk) == 0 {
		return names, nil
	}
	_, err := l.moveAsideAs(junk, func(name string) error {
		return fmt.Errorf("%w: %s is no bucket, in %s, where only buckets belong", store.ErrMalformed, name, dir)
	})
	return names, err
}

func (l *leader) syncQueueL2(b1, b2 string) error {
	dir := l.lay.QueueBucket(b1, b2)
	// With nothing to place and nothing being placed, read the bucket's data
	// along with the listing (pipelined: one round trip): a submit of one
	// task copies it there, which spares reading that item before placing it.
	var lone chan store.DirCopy
	if l.ready.Len() == 0 && l.inflight == 0 {
		lone = make(chan store.DirCopy, 1)
		go func() {
			c, err := l.st.QueueBucketCopy(b1, b2)
			if err != nil && !errors.Is(err, store.ErrNoNode) {
				l.log.Debug().Err(err).Str("bucket", dir).Msg("no usable copy in the bucket's data")
			}
			lone <- c
		}()
	}
	ids, listing, ok, err := l.listW(watchQueueL2, dir, b1+"/"+b2)
	var loneCopy manifestCopy
	if lone != nil {
		c := <-lone
		loneCopy = manifestCopy{task: c.For(listing), ctime: c.At()}
	}
	if err != nil {
		return err
	}
	return l.applyQueueL2(b1, b2, ids, ok, loneCopy)
}

// bucketList is a listing of a queue bucket made by listQueueBuckets.
type bucketList struct {
	ids     []string
	ok      bool // false: the bucket is gone
	watched bool // a watch was set
	err     error
}

// listQueueBuckets lists queue buckets b1/b2 for each of b2s, with their
// requests pipelined, watching each that has no watch yet as listW does.
func (l *leader) listQueueBuckets(b1 string, b2s []string) ([]bucketList, error) {
	out := make([]bucketList, len(b2s))
	dirs, watch := make([]string, len(b2s)), make([]bool, len(b2s))
	for i, b2 := range b2s {
		dirs[i] = l.lay.QueueBucket(b1, b2)
		watch[i] = !l.watched[dirs[i]]
	}
	store.Pipelined(len(b2s), func(i int) {
		r := &out[i]
		if watch[i] {
			ev := watchEvent{kind: watchQueueL2, path: dirs[i], arg: b1 + "/" + b2s[i]}
			r.ids, _, r.err = l.st.ListWFunc(dirs[i], l.sink.on(ev))
			r.watched = r.err == nil
		} else {
			r.ids, _, r.err = l.st.List(dirs[i])
		}
		r.ok = r.err == nil
		if errors.Is(r.err, store.ErrNoNode) {
			r.err = nil
		}
	})
	// Every watch set is recorded before any error returns: one forgotten
	// would be set again on the next listing, stacked on the live one.
	var err error
	for i, r := range out {
		if r.watched {
			l.watched[dirs[i]] = true
		}
		if r.err != nil && err == nil {
			err = r.err
		}
	}
	return out, err
}

// applyQueueL2 brings the view in line with a listing of queue bucket
// b1/b2 (ok false: the bucket is gone); loneCopy is the copy of a lone
// task its data held, if read, with its item's creation.
func (l *leader) applyQueueL2(b1, b2 string, ids []string, ok bool, loneCopy manifestCopy) error {
	dir := l.lay.QueueBucket(b1, b2)
	if !ok {
		// Gone: swept while empty (ZooKeeper deletes no bucket with items),
		// so nothing of it is queued, as an empty listing would say.
		for _, q := range l.byBucket[b1+b2] {
			l.unqueue(q)
		}
		delete(l.empty, b1+"/"+b2)
		return nil
	}
	l.synced[dir] = true
	present := make(map[string]bool, len(ids))
	var unknown, manifests []string
	for _, id := range ids {
		if store.IsManifestName(id) {
			manifests = append(manifests, dir+"/"+id)
			continue
		}
		if store.ValidateTaskID(id) != nil {
			// Not a task's name: read, it fails addRead's checks and is
			// moved aside.
			unknown = append(unknown, id)
			continue
		}
		present[id] = true
		switch q := l.lookup(id); {
		case q == nil:
			unknown = append(unknown, id)
		case q.placing():
			// Being placed: the item listed may be the one placed or, if
			// that placement has committed, the task re-queued since
			// (a failed attempt's retry, a lost one). placed() looks again.
			q.relisted = true
		}
	}
	copies, requeued, err := l.readQueueManifests(manifests)
	if err != nil {
		return err
	}
	var reads []string
	for _, id := range unknown {
		c := copies[id]
		if c.task == nil && loneCopy.task != nil && loneCopy.task.ID == id {
			c = loneCopy // its item's creation, as a manifest's
		}
		if c.task != nil && !requeued[id] {
			// As Submit wrote it (see store.Txn.Enqueue), with its item,
			// at the manifest's ctime.
			l.addQueuedAt(c.task, store.SubmittedVersion, c.ctime)
			continue
		}
		reads = append(reads, dir+"/"+id)
	}
	for id := range requeued {
		// Queued again under the same name since the view read it (a cancel
		// and a retry): the record held is another's. One being placed is
		// left to its placement, which fails if it was that other's.
		if q := l.lookup(id); q != nil && !q.placing() && present[id] {
			l.unqueue(q)
			reads = append(reads, dir+"/"+id)
		}
	}
	for _, r := range l.st.GetMany(reads) {
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
	if len(ids) == 0 {
		l.empty[b1+"/"+b2] = l.bucketDue(b1, b2)
	} else {
		delete(l.empty, b1+"/"+b2)
	}
	return nil
}

// bucketDue is when an empty queue bucket may be deleted: BucketGrace after
// its window (b2 "": a first-level bucket's), when no submitter with a sane
// clock still writes into it.
func (l *leader) bucketDue(b1, b2 string) time.Time {
	return store.BucketEnd(b1, b2).Add(l.s.cfg.BucketGrace)
}

// sweepEmptyQueue deletes, from a goroutine of the term, the queue buckets
// last listed empty whose time has come (see deleteBucket). A bucket given
// an item meanwhile is not deleted (ZooKeeper refuses), and its watch has
// the leader list it again; so does the deletion. One made again lately, or
// whose delete failed, comes back to be tried later. Runs once a second.
func (l *leader) sweepEmptyQueue() {
	l.retry.Lock()
	for b, at := range l.retry.at {
		if listed, ok := l.empty[b]; !ok || listed.Before(at) {
			l.empty[b] = at
		}
	}
	l.retry.at = nil
	l.retry.Unlock()
	if len(l.empty) == 0 || l.sweeping.Load() {
		return
	}
	now := l.now()
	var due []string
	for b, at := range l.empty {
		if !now.Before(at) {
			due = append(due, b)
			delete(l.empty, b)
		}
	}
	if len(due) == 0 {
		return
	}
	// Only this loop starts a sweep, and none runs (checked above).
	l.goOnce(&l.sweeping, func() {
		for _, b := range due {
			if l.termOver() {
				return
			}
			b1, b2, _ := strings.Cut(b, "/") // b2 "": a first-level bucket
			if at := l.deleteBucket(l.lay.QueueBucket(b1, b2)); !at.IsZero() {
				l.retry.Lock()
				if l.retry.at == nil {
					l.retry.at = map[string]time.Time{}
				}
				l.retry.at[b] = at
				l.retry.Unlock()
			}
		}
	})
}

// readQueueManifests reads the manifests a submit or a retry left in a queue
// bucket and deletes them, returning the copies they held by task id (with
// their manifests' ctime, their items' too), and the ids of tasks queued again (store.DecodeQueueManifest). A copy is used
// only once its manifest is gone, so no leader can meet a manifest whose
// tasks it (or an earlier leader) placed from it; a copy outlived by a
// re-queued item cannot be placed at all (its version is not 0). The items
// of tasks queued again are read after the manifests naming them are gone,
// so a retry after that read leaves a manifest of its own. A manifest that
// does not decode is moved aside: its items are read one by one.
func (l *leader) readQueueManifests(paths []string) (copies map[string]manifestCopy, requeued map[string]bool, err error) {
	if len(paths) == 0 {
		return nil, nil, nil
	}
	copies, requeued = map[string]manifestCopy{}, map[string]bool{}
	txn := l.st.Txn().Fence(l.term.Fence, -1)
	var drop []string
	for _, rd := range l.st.GetMany(paths) {
		switch {
		case errors.Is(rd.Err, store.ErrNoNode):
			continue
		case rd.Err != nil:
			return nil, nil, rd.Err
		}
		tasks, again, err := store.DecodeQueueManifest(rd.Data)
		if err != nil {
			l.log.Warn().Err(err).Str("manifest", rd.Path).Msg("malformed queue manifest: moving it aside")
			if err := l.st.Quarantine(rd.Path, rd.Data, rd.Stat.Version, err); err != nil &&
				!errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrBadVersion) {
				return nil, nil, err
			}
			continue
		}
		dir := rd.Path[:strings.LastIndexByte(rd.Path, '/')]
		for _, t := range tasks {
			if l.lay.QueueItem(t.ID) == dir+"/"+t.ID {
				// Made in the submit's transaction, with their items.
				copies[t.ID] = manifestCopy{task: t, ctime: rd.Stat.Ctime}
			}
		}
		for _, id := range again {
			requeued[id] = true
		}
		txn.Delete(rd.Path, rd.Stat.Version)
		drop = append(drop, rd.Path)
	}
	if len(drop) == 0 {
		return nil, requeued, nil
	}
	err = txn.Commit()
	if errors.Is(err, store.ErrNoNode) || errors.Is(err, store.ErrBadVersion) {
		// Another leader got there first: it may have placed from them.
		// Reading an item is never wrong.
		return nil, requeued, nil
	}
	return copies, requeued, err
}

// manifestCopy is a task's record as a queue manifest held it, and the
// manifest's creation by ZooKeeper's clock, its item's too.
type manifestCopy struct {
	task  *store.Task
	ctime time.Time
}

// addRead adds a queue item read from ZooKeeper to the view, quarantining it
// when it is malformed.
func (l *leader) addRead(r store.Read) error {
	p, data, stat, err := r.Path, r.Data, r.Stat, r.Err
	name := p[strings.LastIndexByte(p, '/')+1:]
	if errors.Is(err, store.ErrNoNode) {
		return nil
	}
	if nodeFault(err) {
		// This znode's fault (an ACL that refuses reads, set by hand): the
		// item is passed over, not the term ended; every term met it again,
		// and nothing was placed.
		l.log.Warn().Err(err).Str("znode", p).Msg("queue item cannot be read: passed over until its bucket changes or the view is rebuilt")
		return nil
	}
	if err != nil {
		return err
	}
	task, derr := store.DecodeTaskOf(name, data)
	if derr == nil && l.lay.QueueItem(task.ID) != p {
		derr = fmt.Errorf("%w: queue item %s is in the wrong bucket", store.ErrMalformed, p)
	}
	if derr != nil {
		switch err := l.st.Quarantine(p, data, stat.Version, derr); {
		case err == nil:
			l.lookAgain(name)
		case errors.Is(err, store.ErrNoNode), errors.Is(err, store.ErrBadVersion):
		case nodeFault(err):
			l.log.Warn().Err(err).AnErr("malformed", derr).Str("znode", p).Msg("malformed queue item cannot be moved aside: passed over")
		default:
			return err
		}
		return nil
	}
	l.addQueuedAt(task, stat.Version, stat.Ctime)
	return nil
}

// addQueued puts a task known to be in the queue (at version) into the view.
func (l *leader) addQueued(task *store.Task, version int32) {
	l.addQueuedAt(task, version, time.Time{})
}

// addQueuedAt is addQueued for a queue item created at ctime by
// ZooKeeper's clock (zero: not known), which places its backoff's end on
// the leader's clock (see notBefore).
func (l *leader) addQueuedAt(task *store.Task, version int32, ctime time.Time) {
	if old := l.lookup(task.ID); old != nil {
		l.unqueue(old)
	}
	l.queuedAt = l.now()
	cost := keptCost(task)
	q := newQueued(task, version, l.kept < maxKept && cost <= maxKeptRecord && l.keptBytes+cost <= maxKeptBytes)
	notBefore, ready := l.notBefore(task, ctime)
	q.notBefore = unixNano(notBefore)
	if !ready.IsZero() {
		q.since = unixNano(ready) // by the leader's clock, not the writer's
	}
	if q.task != nil {
		l.kept++
		l.keptBytes += cost
	}
	l.nknown++
	l.s.counters.queued[prioIndex(task.Priority)].Add(1)
	b1, b2 := store.Bucket(task.ID)
	if l.byBucket[b1+b2] == nil {
		l.byBucket[b1+b2] = map[string]*queued{}
	}
	l.byBucket[b1+b2][task.ID] = q
	l.bindStartBy(q, task)
	if len(task.After) > 0 && len(task.History) == 0 {
		l.hold(q, task.After)
		return
	}
	if notBefore.After(l.now()) {
		q.delayed = true
		heap.Push(l.delayed, q)
	} else {
		l.ready.push(q)
	}
}

// lookAtQueue publishes what Stats reads of the queue once a second: the
// wait of the task first in its line that waited longest, and how many are
// not due yet.
func (l *leader) lookAtQueue() {
	l.s.counters.headSince.Store(l.ready.oldestHead())
	l.s.counters.delayed.Store(int64(l.delayed.Len()))
	l.s.counters.held.Store(int64(len(l.held)))
}

// notBefore is when a queued task's backoff ends, by the leader's clock.
// The record's not_before is by its writer's clock (a worker's, or the
// leader's before a takeover): a host ahead of the leader would hold the
// retry back by the difference, one behind would cut the backoff short.
// The backoff itself is not_before less the last attempt's end, both by
// that clock, and it runs from the queue item's creation by ZooKeeper's
// clock (ctime), which the leader's last reading of ZooKeeper's clock
// places on its own. Without a ctime, a reading or an attempt's end, the
// record's not_before stands. ready is when the task became ready to place
// by the leader's clock, its backoff's end, for the placement latency
// (zero: readySince's, by the record's clocks): a retry queued by a worker
// 10 minutes behind was observed as a 10 minute wait. So is a task queued
// again with no backoff after an attempt (one a draining worker handed
// back, by its clock; one the leader or drover retry queued): ready at its
// queue item's creation.
func (l *leader) notBefore(task *store.Task, ctime time.Time) (notBefore, ready time.Time) {
	n := len(task.History)
	if ctime.IsZero() || l.zkClockAt.IsZero() {
		return task.NotBefore, time.Time{}
	}
	if n == 0 && !task.NotBefore.IsZero() {
		// A start time (submit --at, --in) is held by the leader's clock
		// as written; the task is ready then, or at its queue item's
		// creation if later: from its not_before alone, a client an hour
		// behind made it read as waiting an hour at once.
		ready = task.NotBefore
		if created := l.onOwnClock(ctime); created.After(ready) {
			ready = created
		}
		return task.NotBefore, ready
	}
	// A task that never ran, with no backoff, is ready at its queue item's
	// creation too: its submitted_at is by its client's clock, and a
	// client 10 minutes behind made its tasks read as waiting 10 minutes
	// at once (drover_queue_head_wait_seconds, the placement latency).
	var delay time.Duration
	if n > 0 && !task.NotBefore.IsZero() {
		if task.History[n-1].FinishedAt.IsZero() {
			return task.NotBefore, time.Time{}
		}
		delay = max(task.NotBefore.Sub(task.History[n-1].FinishedAt), 0)
	}
	ready = l.onOwnClock(ctime).Add(delay)
	if delay == 0 {
		return time.Time{}, ready
	}
	return ready, ready
}

// onOwnClock is ctime, a time by ZooKeeper's clock, on the leader's, by its
// last reading of ZooKeeper's clock.
func (l *leader) onOwnClock(ctime time.Time) time.Time {
	now := l.now()
	zkNow := l.zkClock.Add(now.Sub(l.zkClockAt))
	ctime = ctime.Add(l.s.cfg.zookeeperAhead) // as tests move ZooKeeper's clock
	return now.Add(ctime.Sub(zkNow))
}

// readZookeeperClock reads ZooKeeper's clock (one fenced write) for
// notBefore and the tombstones' sweep; an error other than the fence's is
// logged, and the last reading stands.
func (l *leader) readZookeeperClock() error {
	zkNow, err := l.zookeeperNow()
	if errors.Is(err, store.ErrFenced) {
		return err
	}
	if err != nil {
		l.log.Debug().Err(err).Msg("cannot read ZooKeeper's clock; retries' backoffs count on their writers' clocks meanwhile")
		return nil
	}
	// Paired with the leader's time after the read: ZooKeeper stamped the
	// write at some moment before its reply, so a slow read makes the
	// estimate late (a backoff a little longer), never early.
	l.zkClock, l.zkClockAt = zkNow, l.now()
	return nil
}

func (l *leader) unqueue(q *queued) {
	l.forget(q.id)
	if q.index < 0 {
		return
	}
	if q.delayed {
		heap.Remove(l.delayed, int(q.index))
	} else {
		l.ready.remove(q)
	}
}

// lookup returns the queued task with id, or nil.
func (l *leader) lookup(id string) *queued {
	b1, b2 := store.Bucket(id)
	return l.byBucket[b1+b2][id]
}

// markBucketDirty has flushDirty relist queue bucket "b1/b2".
func (l *leader) markBucketDirty(bucket string) {
	if l.dirtySince.IsZero() {
		l.dirtySince = l.now()
	}
	l.dirty[bucket] = true
}

// markDirty has flushDirty relist the queue bucket of task id.
func (l *leader) markDirty(id string) {
	b1, b2 := store.Bucket(id)
	l.markBucketDirty(b1 + "/" + b2)
}

// forgetEntry is forget for q only: an entry added for the same id since
// (the task re-queued) stays.
func (l *leader) forgetEntry(q *queued) {
	if l.lookup(q.id) == q {
		l.forget(q.id)
	}
}

// forget drops a task id from the view's index (not from the heaps).
func (l *leader) forget(id string) {
	b1, b2 := store.Bucket(id)
	m := l.byBucket[b1+b2]
	q := m[id]
	if q == nil {
		return
	}
	l.s.counters.queued[prioIndex(store.Priority(q.priority))].Add(-1)
	if q.task != nil {
		l.kept--
		l.keptBytes -= keptCost(q.task)
	}
	if q.bound {
		l.unbindStartBy(q)
	}
	if q.held {
		l.unhold(q)
	}
	l.nknown--
	delete(m, id)
	if len(m) == 0 {
		delete(l.byBucket, b1+b2)
	}
}

// Buckets made ahead: for each schedule's next slot once it is within
// slotsAhead, and, while tasks keep arriving (one in the last activeFor),
// for the next windowsAhead bucket windows.
const (
	slotsAhead   = 10 * time.Second
	activeFor    = 10 * time.Second
	windowsAhead = 2
)

// prepareBuckets makes queue and result buckets before the first task of
// their window arrives. Ids carry their time, so each window of 1.024 s has
// buckets of its own, and the first task into a new one otherwise pays for
// them on its way: a submit's or a firing's transaction fails, the buckets
// are created (four requests, two finding theirs there) and it is sent again;
// and the leader learns of the task by listing the new bucket's parent first.
// A steady submitter at one task a second met that on every task, and a
// per-second schedule on every slot. The leader runs this after placing (its
// loop wakes at least once a second); the creates go out once per bucket from
// a goroutine of their own, so the loop never waits for them. An empty bucket
// is deleted only once its window has ended, so one made ahead stays.
func (l *leader) prepareBuckets() {
	now := l.now()
	for b, end := range l.prepared {
		if end.Before(now) {
			delete(l.prepared, b)
		}
	}
	var ids []string
	want := func(id string) {
		b1, b2 := store.Bucket(id)
		if _, ok := l.prepared[b1+b2]; !ok {
			l.prepared[b1+b2] = store.BucketEnd(b1, b2)
			ids = append(ids, id)
		}
	}
	if l.slotsScan.stale(l.cronSeq, now) {
		l.slotBuckets = l.slotBuckets[:0]
		sharing := map[time.Time]int{}
		for _, e := range l.schedules {
			if !e.next.IsZero() && e.next.Sub(now) <= slotsAhead {
				// A slot's task id has the slot's time, moved a bucket on
				// for each slotsPerBucket schedules sharing the slot
				// (slotID), so this names its buckets without building
				// the tasks.
				if sharing[e.next]%slotsPerBucket == 0 {
					l.slotBuckets = append(l.slotBuckets, store.IDAt(store.SlotTaskTime(e.next, sharing[e.next]/slotsPerBucket)))
				}
				sharing[e.next]++
			}
		}
		l.slotsScan = cronScan{seq: l.cronSeq, at: now}
	}
	for _, id := range l.slotBuckets {
		if b1, b2 := store.Bucket(id); !store.BucketEnd(b1, b2).Before(now) { // not passed since the scan
			want(id)
		}
	}
	if !l.queuedAt.IsZero() && now.Sub(l.queuedAt) < activeFor {
		for i := 1; i <= windowsAhead; i++ {
			want(store.IDAt(now.Add(time.Duration(i) * store.BucketWindow)))
		}
	}
	if len(ids) == 0 {
		return
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for _, id := range ids {
			// On failure the writer makes the buckets itself, as before.
			if err := l.st.EnsureBucketsFenced(id, l.term.Fence); err != nil {
				l.log.Debug().Err(err).Str("task_id", id).Msg("prepare buckets")
			}
		}
	}()
}

func (l *leader) deleteBucket(dir string) (retryAt time.Time) {
	// A bucket made (again) lately may be about to be used: a worker
	// re-queueing a task whose old bucket was deleted makes it anew, and
	// deleting it under that writer again and again fails its report. Only
	// this leader deletes buckets, so the one read is the one deleted.
	ok, st, err := l.st.Exists(dir)
	if err != nil {
		return l.now().Add(bucketRetry)
	}
	if !ok {
		return time.Time{}
	}
	if keep := st.Ctime.Add(l.s.cfg.BucketGrace); l.now().Before(keep) {
		return keep
	}
	err = l.st.Txn().Fence(l.term.Fence, -1).Delete(dir, -1).Commit()
	if err != nil && !errors.Is(err, store.ErrNotEmpty) && !errors.Is(err, store.ErrNoNode) {
		l.log.Debug().Err(err).Str("bucket", dir).Msg("delete empty bucket")
		return l.now().Add(bucketRetry)
	}
	// Deleted, gone, or given an item meanwhile (its watch has it listed
	// again, and an empty listing brings it back here).
	return time.Time{}
}

// bucketRetry is how long sweepEmptyQueue waits to try a bucket again after
// a failed delete.
const bucketRetry = 10 * time.Second

// promoteDue moves tasks whose backoff has passed into the ready queue.
func (l *leader) promoteDue() error {
	now := l.now()
	for l.delayed.Len() > 0 && l.delayed.peek().ready(now) {
		q := heap.Pop(l.delayed).(*queued)
		q.delayed = false
		l.ready.push(q)
	}
	return nil
}

// ---- placement ----

type placement struct {
	q *queued
	w *workerView
	// worker, reg and at are what the assignment record gets, copied so the
	// record can be made off the event loop.
	worker string
	reg    int64
	at     time.Time
	task   *store.Task // the assignment record; nil until made
}

// countPlaced counts a committed placement in the metrics: the task ready
// since (Unix nanoseconds, 0 unknown), assigned at.
func (l *leader) countPlaced(since int64, at time.Time) {
	l.s.counters.placed.Add(1)
	if since != 0 {
		l.s.counters.placeLatency.Observe(at.Sub(time.Unix(0, since)).Seconds())
	}
}

// carried is what a scheduler keeps from one view, and one term, to the
// next, for its metrics and logs to hold across a blip and a session's
// expiry alike (the leader's loop alone uses it, and terms come one after
// another):
//   - unsure, unsureFirings, unsureWithdrawn: the placements (by assignment
//     name), firings (by schedule) and withdrawals (by task id) whose
//     transaction's reply was lost, the connection dropped under it: the
//     next view counts those that landed once it is built;
//   - said: what once has said of a schedule's record, by kind and name
//     ("unwritable\x00NAME"), at its version and czxid, so that the error
//     log and the metric that go with it say it once for each version.
//   - owned: the epochs of this scheduler's last terms (ownedEpochs), a
//     lost-reply firing being counted by a later term only when every term
//     since was its own.
type carried struct {
	unsure          map[string]unsurePlacement
	unsureFirings   map[string]unsureFiring
	unsureWithdrawn map[string]unsureWithdrawal
	said            map[string]znodeAt
	owned           map[int64]bool
}

// ownedEpochs bounds the epochs carried remembers.
const ownedEpochs = 64

// carried returns the scheduler's carried state, made on first use.
func (s *Scheduler) carried() *carried {
	if s.carry == nil {
		s.carry = &carried{unsure: map[string]unsurePlacement{}, unsureFirings: map[string]unsureFiring{},
			unsureWithdrawn: map[string]unsureWithdrawal{}, said: map[string]znodeAt{}, owned: map[int64]bool{}}
	}
	return s.carry
}

// own notes epoch as a term of this scheduler's, forgetting the oldest
// beyond ownedEpochs.
func (c *carried) own(epoch int64) {
	c.owned[epoch] = true
	for e := range c.owned {
		if e <= epoch-ownedEpochs {
			delete(c.owned, e)
		}
	}
}

// restart forgets what carried keeps by epoch number: the epoch record
// was made again, its count starting over.
func (c *carried) restart() {
	clear(c.owned)
	clear(c.unsure)
	clear(c.unsureFirings)
}

// ownedSince reports whether every epoch after from, up to to, was a term
// of this scheduler's: no other leader came between.
func (c *carried) ownedSince(from, to int64) bool {
	if to <= from {
		return false // not a later term: a count started over
	}
	for e := from + 1; e <= to; e++ {
		if !c.owned[e] {
			return false
		}
	}
	return true
}

// unsurePlacement is a placement whose transaction's reply was lost: it
// landed when its attempt is found placed by its term (epoch) after it
// (see tallyPlaced).
type unsurePlacement struct {
	id      string
	attempt int
	worker  string
	epoch   int64
	since   int64
	at      time.Time
}

// tally counts the placements of a result the view drops (one that came
// in while, or after, it was rebuilt): those committed at once, those whose
// reply was lost once the next view finds them landed (tallyPlaced). They
// went uncounted, and drover_placements_total fell behind the workers'
// attempts started for good at every blip.
func (l *leader) tally(r batchResult) {
	switch {
	case r.err == nil:
		for _, p := range r.batch {
			l.countPlaced(p.q.since, p.at)
		}
	case replyLost(r.err):
		for _, p := range r.batch {
			l.unsure[p.name()] = unsurePlacement{id: p.q.id, attempt: int(p.q.attempt), worker: p.worker, epoch: l.epoch, since: p.q.since, at: p.at}
		}
	}
}

// tallyPlaced counts the placements whose reply was lost and that landed,
// before this view places anything: their attempt is on its worker, or
// ended, or queued again, by a record that its term placed (the epoch it
// stamps). Three reads a placement, only after a blip or an expiry.
func (l *leader) tallyPlaced() {
	if len(l.unsure) == 0 {
		return
	}
	var us []unsurePlacement
	var paths []string
	for name, u := range l.unsure {
		delete(l.unsure, name)
		us = append(us, u)
		paths = append(paths, l.lay.Assignment(u.worker, u.id, u.attempt), l.lay.Result(u.id), l.lay.QueueItem(u.id))
	}
	reads := l.st.GetMany(paths) // pipelined, all at once
	// landed: t (as found at kind: 0 its assignment, 1 its result, 2 its
	// queue item, 3 elsewhere) shows u's attempt placed by u's term: the
	// record it made, or the attempt ended (withdrawn or run, perhaps by
	// another leader since) in its history.
	landed := func(u unsurePlacement, t *store.Task, kind int) bool {
		if slices.ContainsFunc(t.History, func(a store.Attempt) bool { return a.N == u.attempt && a.Epoch == u.epoch }) {
			return true
		}
		return t.Epoch == u.epoch && (kind == 0 && t.Attempt == u.attempt || kind == 1 && t.Attempt >= u.attempt || kind == 2 && t.Attempt > u.attempt)
	}
	var placed store.Placed // shared: the workers' directories listed once
	for k, u := range us {
		found := false
		for i, rd := range reads[3*k : 3*k+3] {
			if rd.Err != nil {
				continue
			}
			t, err := store.DecodeTaskOf(u.id, rd.Data)
			if err != nil {
				continue
			}
			found = true
			if landed(u, t, i) {
				l.countPlaced(u.since, u.at)
				break
			}
		}
		if !found {
			// Placed on another worker since (its attempt withdrawn by
			// another leader, the next placed): looked for there.
			if t, _, err := l.st.LookupTaskIn(u.id, &placed); err == nil && landed(u, t, 3) {
				l.countPlaced(u.since, u.at)
			}
		}
	}
}

// name is the assignment's znode name.
func (p *placement) name() string { return store.AssignmentName(p.q.id, int(p.q.attempt)) }

// assign makes the assignment record from the queued record.
func (p *placement) assign(rec *store.Task, epoch int64) {
	t := rec.Clone()
	t.Worker, t.Reg, t.Epoch, t.AssignedAt, t.NotBefore = p.worker, p.reg, epoch, p.at, time.Time{}
	p.task = t
}

// errRecordChanged means a queued task's record, read again for placement,
// is not the one the view holds.
var errRecordChanged = errors.New("queued record changed")

// fill makes the assignment records of a batch, reading again the queued
// records the view did not keep. It only reads, so it may run off the loop.
func (l *leader) fill(batch []placement, epoch int64) error {
	var paths []string
	for i := range batch {
		if batch[i].task == nil && batch[i].q.task == nil {
			paths = append(paths, l.lay.QueueItem(batch[i].q.id))
		}
	}
	reads := l.st.GetMany(paths)
	k := 0
	for i := range batch {
		p := &batch[i]
		if p.task != nil {
			continue
		}
		rec := p.q.task
		if rec == nil {
			r := reads[k]
			k++
			if r.Err != nil {
				return fmt.Errorf("read %s: %w", r.Path, r.Err)
			}
			t, err := store.DecodeTask(r.Data)
			if err != nil || r.Stat.Version != p.q.version || t.ID != p.q.id || t.Attempt != int(p.q.attempt) {
				return fmt.Errorf("%s: %w", r.Path, errRecordChanged)
			}
			rec = t
		}
		p.assign(rec, epoch)
	}
	return nil
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
		// With its prefetch: tasks that cannot wait find its free
		// slots alone (pickWorker).
		w.Reserved = false // for this pass
		if free := w.freeFor(true); w.listedOnce && !w.Draining && free > 0 {
			slots = append(slots, &w.slot)
			views[id] = w
			freeTotal += free
		}
	}
	if freeTotal == 0 {
		return nil
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].ID < slots[j].ID })
	// Where a free worker has an allow-list, a command that fits nowhere
	// may be refused for its program alone: the program is set aside, not
	// its shape, unless no such worker has the labels it wants (then the
	// labels refuse it, and every task of its shape: one idle allow-list
	// worker made each pass try every queued command that waits for labels
	// no worker has).
	allowing := slices.ContainsFunc(slots, func(s *slot) bool { return !s.Allow.Empty() })
	var skipped []*queued
	defer func() {
		l.ready.restore()
		for _, q := range skipped {
			l.ready.push(q)
		}
	}()
	var batch []placement
	size := 0
	now := l.now().UTC()
	for freeTotal > 0 {
		q, sq := l.ready.first()
		if q == nil {
			break
		}
		if l.pastStartBy(q, now) {
			// Never placed past its StartBy: expireStartBy ends it.
			skipped = append(skipped, l.ready.pop(sq))
			continue
		}
		s := pickWorker(slots, q.shape, q.runs, q.after)
		if s == nil {
			program := allowing && q.shape.commands() && mayAllow(slots, q.shape)
			if !q.shape.waits() {
				// The room kept is not for this pass: with none left,
				// it ends.
				freeTotal -= reserve(slots, q.shape, q.runs)
				// While prefetch room is left on workers that take its
				// commands, a command shape's other programs are tried
				// in turn, each reserving the workers that admit it when
				// its first task comes up in the queue's order: set
				// aside whole, they would reserve nothing, or (at once)
				// ahead of their place.
				program = program || q.shape.commands() && prefetchLeft(slots, q.shape)
			}
			if program {
				l.ready.setAsideProgram(sq)
				continue
			}
			// Nor does any task of its shape: slots only fill in a pass.
			l.ready.setAside(sq)
			continue
		}
		l.ready.pop(sq)
		w := views[s.ID]
		l.turn++
		s.Last = l.turn
		p := placement{q: q, w: w, worker: s.ID, reg: w.reg, at: now}
		// The deadline is set when the placement settles: the record (and
		// its timeout) may be read only then.
		w.checked[p.name()], w.inflight[p.name()] = time.Time{}, true
		w.recount()
		freeTotal--
		batch = append(batch, p)
		// Rough, and 0 for records the view did not keep: dispatch cuts
		// the batch again once it has read them; Encode enforces the hard
		// limit of one record.
		size += placementBytes(q.task)
		if len(batch) >= store.MaxBatch/2 || size > maxBatchBytes {
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

// recordBytes is about how many bytes a queued record takes beyond its
// fixed fields (0 for a record the view did not keep).
func recordBytes(t *store.Task) int {
	if t == nil {
		return 0
	}
	n := len(t.Payload)*4/3 + len(t.Name)
	for _, a := range t.Cmd {
		n += len(a) + 4
	}
	for k, v := range t.Env {
		n += len(k) + len(v) + 6
	}
	for k, v := range t.On {
		n += len(k) + len(v) + 6
	}
	for _, a := range t.History {
		// Error and output tails are clipped by the bytes they take encoded
		// (store.Clip): count the most those can be.
		n += 200 + len(a.Worker) + min(6*len(a.Error), store.MaxAttemptError) +
			min(6*len(a.Stdout), store.AttemptTail) + min(6*len(a.Stderr), store.AttemptTail)
	}
	return n
}

// Placement batch bounds: a transaction carries at most maxBatchBytes of
// records, as placementBytes estimates them, and ZooKeeper refuses (by
// dropping the connection) a request over jute.maxbuffer, 1 MiB by default.
const maxBatchBytes = 256 * 1024

// placementBytes estimates what placing t adds to a transaction: the
// assignment, a manifest copy and the paths.
func placementBytes(t *store.Task) int { return 3 * (1024 + recordBytes(t)) }

// splitBatch cuts a filled batch (every record read) where it outgrows
// maxBatchBytes; the first placement always stays.
func splitBatch(batch []placement) (keep, rest []placement) {
	size := 0
	for i, p := range batch {
		size += placementBytes(p.task)
		if i > 0 && size > maxBatchBytes {
			return batch[:i], batch[i:]
		}
	}
	return batch, nil
}

// maxInflight is how many placement transactions may be in flight at once:
// pipelining them keeps the leader from waiting a disk sync per batch.
const maxInflight = 4

// loneCopyTarget says which worker, if any ("" for none), gets a copy of its
// assignment in its directory's data (store.Txn.AssignBatch): the worker of
// a batch of one placement that has nothing else, which, idle, reads that
// data with its listing (one round trip less before the start). Only on a
// quiet cluster: under load the extra write and the workers' extra reads
// would cost more than they save.
func loneCopyTarget(batch []placement) string {
	if len(batch) != 1 || len(batch[0].w.checked) != 1 {
		return ""
	}
	return batch[0].worker
}

// batchResult is the outcome of a placement transaction.
type batchResult struct {
	gen   uint64
	batch []placement
	// deferred were cut from the batch once their records were read: the
	// transaction would have been too large. They go back to the queue.
	deferred []placement
	zxid     int64
	mtime    time.Time // of the commit, by ZooKeeper's clock
	err      error
}

// dispatch starts a batch's fenced transaction; its outcome comes back on
// l.results and is applied by settle in the event loop.
func (l *leader) dispatch(batch []placement) error {
	l.inflight++
	gen, epoch := l.gen, l.epoch
	lone := loneCopyTarget(batch)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		if testHookDispatch != nil {
			testHookDispatch()
		}
		r := batchResult{gen: gen, batch: batch, err: l.fill(batch, epoch)}
		if r.err == nil {
			// Records the view did not keep were sized only now.
			r.batch, r.deferred = splitBatch(batch)
			batch = r.batch
			txn := l.st.Txn().Fence(l.term.Fence, -1)
			tasks := make([]*store.Task, len(batch))
			for i, p := range batch {
				txn.Delete(l.lay.QueueItem(p.q.id), p.q.version)
				tasks[i] = p.task
			}
			// With a manifest per worker: each worker reads its share of
			// the batch in one get.
			if r.err = txn.AssignBatch(tasks, lone); r.err == nil {
				r.err = txn.Stamp(l.lay.Tasks()).Commit()
				r.zxid, r.mtime = txn.Zxid(), txn.Mtime()
			}
		}
		l.results <- r // never blocks: cap > maxInflight
	}()
	return nil
}

// settle applies a placement transaction's outcome.
func (l *leader) settle(r batchResult) error {
	l.inflight--
	if r.gen != l.gen {
		l.tally(r)
		return nil // from before a rebuild: the rebuilt view already saw its outcome
	}
	for _, p := range r.deferred {
		delete(p.w.inflight, p.name())
		delete(p.w.checked, p.name())
		p.w.recount()
		if l.lookup(p.q.id) == p.q { // still queued as it was
			l.ready.push(p.q)
			l.rearmStartBy(p.q)
		}
	}
	switch {
	case r.err == nil:
		if !r.mtime.IsZero() {
			// A reading of ZooKeeper's clock for free (see
			// readZookeeperClock), late by the time the result waited.
			l.zkClock, l.zkClockAt = r.mtime.Add(l.s.cfg.zookeeperAhead), l.now()
		}
		for _, p := range r.batch {
			l.placed(p, r.zxid)
		}
		return l.revisit(r.batch)
	case errors.Is(r.err, store.ErrFenced):
		return r.err
	case errors.Is(r.err, store.ErrConnection):
		l.tally(r)
		return fmt.Errorf("place %d tasks: %w", len(r.batch), errResync)
	case errors.Is(r.err, store.ErrSessionExpired):
		// Its outcome unknown, and the term over: placing them one by one
		// again would only be fenced off, the batch left uncounted.
		l.tally(r)
		return fmt.Errorf("place %d tasks: %w", len(r.batch), r.err)
	}
	return l.commitEach(r.batch)
}

// commitEach places a batch one task per transaction, so one bad item (its
// queue item gone, a record too large) cannot hold up the rest.
func (l *leader) commitEach(batch []placement) error {
	for _, p := range batch {
		delete(p.w.inflight, p.name())
		delete(p.w.checked, p.name())
		p.w.recount()
	}
	for _, p := range batch {
		txn := l.st.Txn().Fence(l.term.Fence, -1).Delete(l.lay.QueueItem(p.q.id), p.q.version)
		one := []placement{p}
		err := l.fill(one, l.epoch)
		p = one[0]
		if err == nil {
			err = txn.Assign(p.task)
		}
		if err == nil {
			err = txn.Stamp(l.lay.Tasks()).Commit()
		}
		switch {
		case err == nil:
			l.placed(p, txn.Zxid())
			continue
		case errors.Is(err, store.ErrFenced):
			return err
		case errors.Is(err, store.ErrConnection):
			l.tally(batchResult{batch: one, err: err})
			return fmt.Errorf("place %s: %w", p.q.id, errResync)
		case errors.Is(err, store.ErrSessionExpired):
			l.tally(batchResult{batch: one, err: err})
			return fmt.Errorf("place %s: %w", p.q.id, err)
		}
		log := l.log.Warn().Err(err).Str("task_id", p.q.id).Str("worker_id", p.worker)
		if errors.Is(err, store.ErrTooLarge) {
			// Cannot be placed as it stands: move it aside rather than retry forever.
			log.Msg("task too large to assign: moving to deadletter")
			data, stat, gerr := l.st.Get(l.lay.QueueItem(p.q.id))
			if gerr == nil && l.st.Quarantine(l.lay.QueueItem(p.q.id), data, stat.Version, err) == nil {
				l.lookAgain(p.q.id)
			}
			l.forgetEntry(p.q)
			continue
		}
		log.Msg("placement rejected; re-reading the queue item")
		l.forgetEntry(p.q)
		if err := l.addRead(l.read(l.lay.QueueItem(p.q.id))); err != nil {
			return err
		}
	}
	return l.revisit(batch)
}

// revisit looks again, once each, at workers that left or registered anew
// while a placement on them was in flight, so what it created there is
// recovered.
func (l *leader) revisit(batch []placement) error {
	seen := map[*workerView]bool{}
	for _, p := range batch {
		if seen[p.w] {
			continue
		}
		seen[p.w] = true
		switch cur := l.workers[p.worker]; {
		case cur == p.w:
		case cur == nil:
			if err := l.recoverWorkerDir(p.worker); err != nil {
				return err
			}
		default:
			l.listWorkerTasks(p.worker)
		}
	}
	return nil
}

// placed records a committed placement (zxid: its transaction's) in the view.
func (l *leader) placed(p placement, zxid int64) {
	l.countPlaced(p.q.since, p.at)
	l.forgetEntry(p.q)
	if p.q.relisted {
		// A listing during the placement took the task as in the view; the
		// item it saw may be a successor that the view now lacks.
		l.markDirty(p.q.id)
	}
	name, w := p.name(), p.w
	delete(w.inflight, name)
	switch {
	case zxid > w.listZxid: // no listing reflects it yet
		w.checked[name], w.unseen[name] = l.deadline(p.task), zxid
	case w.listed[name]:
		w.checked[name] = l.deadline(p.task)
	default: // a listing after it no longer showed it: finished already
		delete(w.checked, name)
	}
	w.recount()
	l.log.Debug().Str("task_id", p.task.ID).Str("worker_id", p.w.ID).Int("attempt", p.task.Attempt).Int64("zxid", zxid).Msg("placed")
}
