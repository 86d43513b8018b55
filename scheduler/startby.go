package scheduler

import (
	"container/heap"
	"errors"
	"fmt"
	"time"

	"github.com/drover-sched/drover/store"
)

// A schedule's starting deadline binds its slot's task: the firing sets
// the task's StartBy (the slot plus the deadline), and the leader places
// its first attempt only until then. One still queued at its StartBy (no
// worker free, none with its labels, none up) is ended, cancelled, with
// error store.NotStartedInTime, when the time comes, whether or not a
// placement pass meets it: the view holds an entry in a heap for each such
// task, earliest first, and the loop's timer wakes for the first.

// startByEntry is a queued first attempt bound to start by a time.
type startByEntry struct {
	q  *queued
	by int64 // its StartBy, Unix nanoseconds
	// at is when the loop ends it: by, or later after a failed try.
	at    int64
	index int // in the heap; -1 when out of it (its placement in flight)
}

// startByHeap orders the entries by when they are due.
type startByHeap []*startByEntry

func (h startByHeap) Len() int           { return len(h) }
func (h startByHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h startByHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *startByHeap) Push(x any) {
	e := x.(*startByEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *startByHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}

// startByRetry paces the next try to end a task whose end failed for a
// reason that reading it again does not settle (its result exists, put
// there by hand; a record too large to finish). It stays queued, unplaced.
const startByRetry = 10 * time.Second

// bindStartBy enters q, just queued from task, if its first attempt is
// bound to start by a time.
func (l *leader) bindStartBy(q *queued, task *store.Task) {
	if !task.StartByBinds() {
		return
	}
	by := unixNano(task.StartBy)
	e := &startByEntry{q: q, by: by, at: by}
	q.bound = true
	l.startByOf[q] = e
	heap.Push(&l.startBy, e)
}

// unbindStartBy drops q's entry: it left the queue (placed, ended,
// cancelled, read again).
func (l *leader) unbindStartBy(q *queued) {
	e := l.startByOf[q]
	if e == nil {
		return
	}
	delete(l.startByOf, q)
	if e.index >= 0 {
		heap.Remove(&l.startBy, e.index)
	}
	q.bound = false
}

// rearmStartBy puts back the entry of q, whose placement was deferred and
// which is ready again: its StartBy may have come meanwhile.
func (l *leader) rearmStartBy(q *queued) {
	if e := l.startByOf[q]; e != nil && e.index < 0 {
		heap.Push(&l.startBy, e)
	}
}

// pastStartBy reports whether q may no longer be placed at now: its first
// attempt was bound to start earlier.
func (l *leader) pastStartBy(q *queued, now time.Time) bool {
	if !q.bound {
		return false
	}
	e := l.startByOf[q]
	return e != nil && e.by < now.UnixNano()
}

// nextStartBy is when the first entry comes due (zero: none).
func (l *leader) nextStartBy() time.Time {
	if len(l.startBy) == 0 {
		return time.Time{}
	}
	return time.Unix(0, l.startBy[0].at)
}

// unstarted is the result of rec, a queued first attempt ended at now
// because its StartBy passed: cancelled, as a cancel of a queued task
// leaves it (the attempt never ran), with error store.NotStartedInTime.
func unstarted(rec *store.Task, now time.Time) *store.Task {
	done := rec.Clone()
	done.State, done.FinishedAt, done.Error, done.NotBefore = store.StateCancelled, now.UTC(), store.NotStartedInTime, time.Time{}
	minus1 := -1
	done.ExitCode = &minus1 // no code of its own, as a cancel's
	return done
}

// expireStartBy ends the queued tasks whose StartBy has come, by the
// leader's clock (the one the firing reckons slots by), as endQueued ends
// them, each cancelled, unstarted. One whose placement is in flight was
// placed before its StartBy (place never places one after it); one held
// for the tasks it runs after is ended all the same.
func (l *leader) expireStartBy() error {
	now := l.now()
	var due []*startByEntry
	for len(l.startBy) > 0 && l.startBy[0].at <= now.UnixNano() {
		e := heap.Pop(&l.startBy).(*startByEntry)
		if e.q.placing() {
			// Being placed: placed, it leaves the view; deferred, it comes
			// back (rearmStartBy); rejected, it is read again.
			continue
		}
		due = append(due, e)
	}
	if len(due) == 0 {
		return nil
	}
	ends := make([]queuedEnd, len(due))
	for i, e := range due {
		ends[i] = queuedEnd{q: e.q,
			end: func(rec *store.Task) *store.Task { return unstarted(rec, now) },
			ended: func(done *store.Task) {
				l.log.Info().Str("task_id", done.ID).Time("start_by", done.StartBy).
					Msg("task not started by its starting deadline: cancelled")
			},
			failed: func(err error) { l.startByFailed(e, now, err) },
		}
	}
	return l.endQueued(ends, "past its starting deadline")
}

// queuedEnd is a queued task the leader ends before its first attempt
// (endQueued): end makes its result from its record, ended logs it, and
// failed keeps it queued, unplaced, to be tried again, when its end cannot
// be written for a reason that reading it again does not settle.
type queuedEnd struct {
	q      *queued
	end    func(rec *store.Task) *store.Task
	ended  func(done *store.Task)
	failed func(err error)
}

// endQueued ends queued tasks: for each, in a fenced transaction, the
// deletion of its queue item at the version the view holds and the
// creation of its result, as a cancel does, several tasks to a
// transaction. A task whose item changed or went meanwhile (a cancel, a
// retry) is read again. what says why, for the errors that end the term.
func (l *leader) endQueued(due []queuedEnd, what string) error {
	type ending struct {
		e    queuedEnd
		done *store.Task
		data []byte
	}
	// The records the view did not keep are read again, pipelined.
	var paths []string
	for _, e := range due {
		if e.q.task == nil {
			paths = append(paths, l.lay.QueueItem(e.q.id))
		}
	}
	reads := l.st.GetMany(paths)
	var ends []ending
	k := 0
	for _, e := range due {
		rec := e.q.task
		if rec == nil {
			r := reads[k]
			k++
			switch {
			case errors.Is(r.Err, store.ErrNoNode):
				// Gone meanwhile (cancelled): its bucket's watch tells.
				l.unqueue(e.q)
				continue
			case r.Err != nil:
				return fmt.Errorf("read %s: %w", r.Path, r.Err)
			}
			t, err := store.DecodeTask(r.Data)
			if err != nil || r.Stat.Version != e.q.version || t.ID != e.q.id || t.Attempt != int(e.q.attempt) {
				// Not the record the view holds: taken in anew (due again
				// at once if still bound), or moved aside.
				l.unqueue(e.q)
				if err := l.addRead(r); err != nil {
					return err
				}
				continue
			}
			rec = t
		}
		done := e.end(rec)
		data, err := store.Encode(done)
		if err != nil {
			e.failed(err)
			continue
		}
		ends = append(ends, ending{e: e, done: done, data: data})
	}
	commit := func(batch []ending) error {
		ids := make([]string, len(batch))
		for i, x := range batch {
			ids[i] = x.e.q.id
		}
		return l.st.CommitCreatingBuckets(ids, func(txn *store.Txn) error {
			txn.Fence(l.term.Fence, -1)
			for _, x := range batch {
				txn.Delete(l.lay.QueueItem(x.e.q.id), x.e.q.version)
				if err := txn.FinishEncoded(x.done, x.data); err != nil {
					return err
				}
			}
			return nil
		})
	}
	ended := func(x ending) {
		l.unqueue(x.e.q)
		x.e.ended(x.done)
	}
	// As placements: up to MaxBatch/2 tasks and maxBatchBytes a
	// transaction, the transactions pipelined.
	var groups [][]ending
	for len(ends) > 0 {
		n, size := 1, len(ends[0].data)
		for ; n < len(ends) && n < store.MaxBatch/2 && size+len(ends[n].data) <= maxBatchBytes; n++ {
			size += len(ends[n].data)
		}
		groups, ends = append(groups, ends[:n]), ends[n:]
	}
	errs := make([]error, len(groups))
	store.Pipelined(len(groups), func(i int) { errs[i] = commit(groups[i]) })
	for i, g := range groups { // what committed first, whatever failed
		if errs[i] == nil {
			for _, x := range g {
				ended(x)
			}
		}
	}
	for i, g := range groups {
		switch err := errs[i]; {
		case err == nil:
			continue
		case errors.Is(err, store.ErrFenced):
			return err
		case errors.Is(err, store.ErrConnection):
			return fmt.Errorf("end %d tasks %s: %w", len(g), what, errResync)
		}
		// One of them moved meanwhile: each alone, so that it does not
		// hold the others back.
		for _, x := range g {
			err := errs[i]
			if len(g) > 1 {
				err = commit([]ending{x})
			}
			switch {
			case err == nil:
				ended(x)
			case errors.Is(err, store.ErrFenced):
				return err
			case errors.Is(err, store.ErrConnection):
				return fmt.Errorf("end %s %s: %w", x.e.q.id, what, errResync)
			case errors.Is(err, store.ErrNoNode) || errors.Is(err, store.ErrBadVersion):
				// Its item was cancelled, or queued again by a retry: read
				// it again (gone, it leaves the view).
				l.unqueue(x.e.q)
				if err := l.addRead(l.read(l.lay.QueueItem(x.e.q.id))); err != nil {
					return err
				}
			default:
				x.e.failed(err)
			}
		}
	}
	return nil
}

// startByFailed keeps e's task queued, never placed, and tries to end it
// again startByRetry later.
func (l *leader) startByFailed(e *startByEntry, now time.Time, err error) {
	l.log.Error().Err(err).Str("task_id", e.q.id).Time("start_by", time.Unix(0, e.by)).
		Msg("task past its starting deadline not ended: kept queued, unplaced, and tried again")
	e.at = now.Add(startByRetry).UnixNano()
	heap.Push(&l.startBy, e)
}
