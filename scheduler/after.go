package scheduler

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/drover-sched/drover/store"
)

// A task submitted with After (drover submit --after) waits, queued, for
// the tasks it names: the leader holds its first attempt out of the ready
// queue (hold) until each of them has a result that says succeeded, and
// ends it cancelled (store.DependencyFailed) as soon as one ended otherwise
// or is found nowhere. The leader learns of a result by a watch on its
// path, set when the first task waiting for it enters the view; a task
// waited for that is neither queued in the view nor finished is looked up
// once (store.LookupTaskIn), and again once its record leaves where the
// leader saw it with no result known (lookAgain: moved aside by the leader
// or its worker), so a typo's, a pruned or a moved-aside task's waiters do
// not wait for good. Nothing of this is written until a
// task is ended: a new leader holds the same tasks and looks again.

// afterWait is a held task and the tasks it still waits for. gone: it is
// held no more (unhold), and left in the waiters' lists it is still in
// until they are compacted.
type afterWait struct {
	q       *queued
	pending []string
	gone    bool
}

// afterWaiters are the waits for one task, in the order they began, with
// those gone since left in place: dropping one from the middle of 10,000
// moved the rest, and dropping them all, one by one, cost the square of
// their number (40,000 waiters released took 2.4 s of the loop). live
// counts the entries not gone; the list is compacted when they are fewer
// than half of it.
type afterWaiters struct {
	ws   []*afterWait
	live int
}

// compact drops the gone entries from ws once they are more than half of
// it, and returns how many entries it went over (0 when it did not): the
// leader sums that in afterCompacted, which tests hold to a multiple of
// the waits ever dropped (linear), where a timing would flake.
func (ws *afterWaiters) compact() int {
	if 2*ws.live >= len(ws.ws) {
		return 0
	}
	n := len(ws.ws)
	ws.ws = slices.DeleteFunc(ws.ws, func(x *afterWait) bool { return x.gone })
	return n
}

// hold keeps q, just queued, out of the heaps until the tasks it runs
// after have succeeded.
func (l *leader) hold(q *queued, after []string) {
	w := &afterWait{q: q, pending: slices.Clone(after)}
	q.held, q.index = true, -1
	l.held[q] = w
	for _, id := range after {
		ws := l.waitingOn[id]
		if ws == nil {
			ws = &afterWaiters{}
			l.waitingOn[id] = ws
			l.afterDue[id] = true
		}
		ws.ws = append(ws.ws, w)
		ws.live++
	}
}

// unhold drops q's wait: it left the queue (ended, cancelled, read again)
// or is released.
func (l *leader) unhold(q *queued) {
	w := l.held[q]
	if w == nil {
		return
	}
	delete(l.held, q)
	q.held, w.gone = false, true
	for _, id := range w.pending {
		ws := l.waitingOn[id]
		if ws == nil {
			continue
		}
		if ws.live--; ws.live <= 0 {
			delete(l.waitingOn, id)
			delete(l.afterDue, id)
		} else {
			l.afterCompacted += ws.compact()
		}
	}
}

// resetHeld forgets the held tasks with the rest of the view.
func (l *leader) resetHeld() {
	l.held, l.waitingOn, l.afterDue = map[*queued]*afterWait{}, map[string]*afterWaiters{}, map[string]bool{}
	l.afterLater, l.afterMoved = map[string]time.Time{}, map[string]bool{}
}

// lookAgain tells lookAfter that task id's record left where the leader
// saw it without a result the leader knows of: moved to deadletter by the
// leader (its queue item, its assignment) or gone from its worker's
// directory (reported; or moved to deadletter by its worker, which writes
// no result: the watch on its result never fires). Its waiters' next look
// reads its result and, finding none and the task not queued in the view,
// looks it up, watch set or not: found nowhere, they end (not found),
// rather than stay held for the rest of the term.
func (l *leader) lookAgain(id string) {
	if l.waitingOn[id] != nil {
		l.afterDue[id], l.afterMoved[id] = true, true
	}
}

// release puts a held task whose waits are over into the ready queue, or
// the delayed heap if its start time is ahead.
func (l *leader) release(q *queued) {
	l.unhold(q)
	now := l.now()
	if q.notBefore > now.UnixNano() {
		q.delayed = true
		heap.Push(l.delayed, q)
		return
	}
	q.since = now.UnixNano() // ready from now, for the placement latency
	l.ready.push(q)
}

// afterOutcome is what a look at a task waited for found: ended (with
// why, "ended failed" or "not found", when not succeeded), or still to
// come (its result watched: watchSet says this look set the watch).
type afterOutcome struct {
	id       string
	ended    bool
	why      string
	err      error
	watchSet bool
	// lookup: neither a result nor queued in the view; lookUp looks.
	lookup bool
}

// lookAfter looks at the tasks waited for that are due (a first waiter, a
// watch fired): for each, its result is read with a watch set when there
// is none yet; a task with no result that the view does not hold queued is
// looked up, and one found nowhere fails its waiters. Waiters of a task
// that succeeded are released once they wait for nothing else; those of
// one that ended otherwise are ended, cancelled.
func (l *leader) lookAfter() error {
	for id, at := range l.afterLater {
		if !l.now().Before(at) {
			delete(l.afterLater, id)
			if l.waitingOn[id] != nil {
				l.afterDue[id] = true
			}
		}
	}
	if len(l.afterDue) == 0 {
		return nil
	}
	ids := make([]string, 0, len(l.afterDue))
	for id := range l.afterDue {
		ids = append(ids, id)
	}
	clear(l.afterDue)
	slices.Sort(ids)
	// What the loop's maps say is taken before the reads, which run off
	// its goroutine.
	watched, queued, moved := make([]bool, len(ids)), make([]bool, len(ids)), make([]bool, len(ids))
	for i, id := range ids {
		watched[i], queued[i], moved[i] = l.watched[l.lay.Result(id)], l.lookup(id) != nil, l.afterMoved[id]
	}
	clear(l.afterMoved)
	var placed store.Placed // one listing of the assignments for all lookups
	out := make([]afterOutcome, len(ids))
	store.Pipelined(len(ids), func(i int) { out[i] = l.lookFor(ids[i], watched[i], queued[i], moved[i]) })
	// The lookups after the reads: the first alone, so that its listing of
	// the assignments serves the others (placed); side by side, each listed
	// them, every worker's directory.
	var look []int
	for i := range out {
		if out[i].lookup {
			look = append(look, i)
		}
	}
	if len(look) > 0 {
		l.lookUp(&out[look[0]], &placed)
		store.Pipelined(len(look)-1, func(i int) { l.lookUp(&out[look[i+1]], &placed) })
	}
	var ends []queuedEnd
	ending := map[*afterWait]bool{}
	now := l.now()
	for _, o := range out {
		if o.watchSet {
			l.watched[l.lay.Result(o.id)] = true
		}
		switch {
		case errors.Is(o.err, store.ErrFenced):
			return o.err
		case o.err != nil && nodeFault(o.err):
			// Its result cannot be read here (an ACL set by hand): failed,
			// as one found nowhere, rather than held for good.
			o.ended, o.why = true, "unreadable: "+o.err.Error()
		case o.err != nil:
			return fmt.Errorf("look at task %s, waited for: %w", o.id, o.err)
		}
		if !o.ended {
			continue
		}
		ws := l.waitingOn[o.id]
		if ws == nil {
			continue
		}
		waiters := ws.ws // not changed before endQueued: the success's entry goes whole
		if o.why == "" {
			// Succeeded: no waiter waits for it any more.
			delete(l.waitingOn, o.id)
		}
		for _, w := range waiters {
			if w.gone {
				continue
			}
			if o.why == "" {
				w.pending = slices.DeleteFunc(w.pending, func(id string) bool { return id == o.id })
				if len(w.pending) == 0 {
					l.release(w.q)
				}
				continue
			}
			if ending[w] {
				continue // a task it waits for too failed in this pass: ended once
			}
			ending[w] = true
			id, why := o.id, o.why
			ends = append(ends, queuedEnd{q: w.q,
				end: func(rec *store.Task) *store.Task { return dependencyFailed(rec, id, why, now) },
				ended: func(done *store.Task) {
					l.log.Info().Str("task_id", done.ID).Str("after", id).Str("why", why).
						Msg("task not started: a task it runs after did not succeed; cancelled")
				},
				failed: func(err error) {
					l.log.Error().Err(err).Str("task_id", w.q.id).Str("after", id).
						Msg("task whose dependency failed not ended: kept queued, unplaced, and tried again")
					l.afterLater[id] = now.Add(startByRetry)
				},
			})
		}
	}
	return l.endQueued(ends, "whose dependency failed")
}

// lookFor reads the result of task id, waited for, and sets a watch on it
// when there is none and none is live (watched). With no result, a task
// the view does not hold queued is to be looked up in ZooKeeper (lookup,
// by lookUp) when this look set the watch (before it, the first look
// did), or when the leader moved its record aside since (moved). It runs
// off the loop's goroutine (pipelined) and touches nothing of the view.
func (l *leader) lookFor(id string, watched, queued, moved bool) afterOutcome {
	o := afterOutcome{id: id}
	p := l.lay.Result(id)
	data, _, err := l.st.Get(p)
	if errors.Is(err, store.ErrNoNode) && !watched {
		// Watched, then read again: a result made between the two reads
		// is read by the second.
		var ok bool
		ok, _, err = l.st.ExistsWFunc(p, l.sink.on(watchEvent{kind: watchResult, path: p, arg: id}))
		o.watchSet = err == nil
		switch {
		case err == nil && ok:
			data, _, err = l.st.Get(p)
		case err == nil:
			err = store.ErrNoNode
		}
	}
	if errors.Is(err, store.ErrNoNode) && (o.watchSet || moved) && !queued {
		o.lookup = true // by lookUp, after the reads of the pass
		return o
	}
	switch {
	case errors.Is(err, store.ErrNoNode):
		return o // to come: the watch tells
	case err != nil:
		o.err = err
		return o
	}
	t, derr := store.DecodeResultOf(id, data)
	switch {
	case derr != nil:
		o.ended, o.why = true, "has a malformed result"
	case t.State == store.StateSucceeded:
		o.ended = true
	default:
		o.ended, o.why = true, "ended "+string(t.State)
	}
	return o
}

// lookUp looks up o's task, with no result and not queued in the view:
// one found nowhere, or whose record does not decode, fails its waiters.
// It runs off the loop's goroutine and touches nothing of the view.
func (l *leader) lookUp(o *afterOutcome, placed *store.Placed) {
	_, _, err := l.st.LookupTaskIn(o.id, placed)
	switch {
	case errors.Is(err, store.ErrUnknownTask):
		o.ended, o.why = true, "not found (its result pruned, or moved aside)"
	case errors.Is(err, store.ErrMalformed):
		o.ended, o.why = true, "has a malformed record"
	case err != nil:
		o.err = err
	}
}

// dependencyFailed is the result of rec, a held first attempt ended at now
// because the task id it runs after did not succeed (why): cancelled, as a
// cancel of a queued task leaves it.
func dependencyFailed(rec *store.Task, id, why string, now time.Time) *store.Task {
	done := unstarted(rec, now)
	done.Error = store.DependencyFailed(id, why)
	return done
}
