package scheduler

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/drover-sched/drover/store"
)

// workerView is the leader's picture of one registration of a worker: its
// slot for placement and the assignments counted against its capacity.
//
// The directory of a busy worker changes with every placement and report, so
// the leader lists it off the event loop and orders each listing against its
// own placements by zxid: a listing reflects a placement transaction exactly
// when the directory's pzxid is at least the transaction's zxid. That keeps the
// count exact without listing again after every placement.
type workerView struct {
	slot
	reg int64
	// checked are the assignments counted against the worker's capacity:
	// those a listing showed and that belong to this registration, and those
	// this leader placed and no listing reflects yet. Each carries the time
	// after which the leader withdraws the attempt (zero: no timeout).
	checked map[string]time.Time
	// inflight are names placed by transactions not settled yet.
	inflight map[string]bool
	// unseen are names placed by settled transactions that the latest applied
	// listing does not reflect, with their transactions' zxids.
	unseen map[string]int64
	// listed is the latest applied listing, as of listZxid (the directory's
	// pzxid then). Nothing is placed on a worker before its first listing.
	listed     map[string]bool
	listZxid   int64
	listedOnce bool
	// listing says a listing is in flight; relist that another is due after it.
	listing, relist bool
	// draining is what the registration says; slot.Draining is that or a
	// cordon (applyCordon): no new work.
	draining bool
}

func newWorkerView(reg int64) *workerView {
	return &workerView{reg: reg, checked: map[string]time.Time{}, inflight: map[string]bool{},
		unseen: map[string]int64{}, listed: map[string]bool{}}
}

func (w *workerView) recount() { w.Used = len(w.checked) }

// syncWorkers relists the registrations: new ones join the view, missing ones
// leave it. Changes to a known registration arrive through its own watch.
func (l *leader) syncWorkers() error {
	defer func() { l.s.counters.workers.Store(int64(len(l.workers))) }()
	ids, _, err := l.childrenW(watchWorkers, l.lay.Workers(), "")
	if err != nil {
		return err
	}
	present := make(map[string]bool, len(ids))
	var fresh []string
	for _, id := range ids {
		present[id] = true
		if l.workers[id] == nil {
			fresh = append(fresh, id)
		}
	}
	// Read the new registrations (and make their directories) pipelined: a
	// takeover finds every worker new, and one after another 500 workers
	// cost a second of failover.
	for i, r := range l.readWorkers(fresh) {
		if err := l.applyWorker(fresh[i], r); err != nil {
			return err
		}
	}
	for id := range l.workers {
		if !present[id] {
			if err := l.workerLeft(id); err != nil {
				return err
			}
		}
	}
	// A worker that came and went between two listings (or whose
	// registration was gone when read) never joined the view, and left its
	// directory, which it makes itself as it registers: a fleet whose ids
	// are pod names would leave one for each. The listing that follows its
	// leaving finds it.
	return l.syncOrphanTaskDirs()
}

// syncWorker reads one registration and updates the view: a registration not
// seen before gets a fresh view and a listing of its directory (which recovers
// attempts placed under an earlier registration); a gone one leaves.
func (l *leader) syncWorker(id string) error {
	return l.applyWorker(id, l.readWorkers([]string{id})[0])
}

// workerRead is a registration read by readWorkers: the entry (nil when
// malformed and quarantined), the watch set on it, and whether its
// assignment directory was made sure of.
type workerRead struct {
	e       *store.WorkerEntry
	watched bool // a new watch was set
	ensured bool // the directory was made sure of, with dirErr
	dirErr  error
	err     error
}

// readWorkers reads registrations with their requests pipelined, watching
// each that has no watch yet, and makes sure each one new to the view has
// its assignment directory. It only records the watches it set in the
// view; applyWorker applies each read.
func (l *leader) readWorkers(ids []string) []workerRead {
	out := make([]workerRead, len(ids))
	watch, fresh := make([]bool, len(ids)), make([]bool, len(ids))
	for i, id := range ids {
		watch[i] = !l.watched[l.lay.Worker(id)]
		fresh[i] = l.workers[id] == nil
	}
	store.Pipelined(len(ids), func(i int) {
		r := &out[i]
		if watch[i] {
			ev := watchEvent{kind: watchWorker, path: l.lay.Worker(ids[i]), arg: ids[i]}
			r.e, r.watched, r.err = l.st.WorkerWFunc(ids[i], l.sink.on(ev))
		} else {
			r.e, r.err = l.st.Worker(ids[i])
		}
		if r.err == nil && r.e != nil && fresh[i] {
			r.ensured, r.dirErr = true, l.st.EnsurePathFenced(l.lay.WorkerTasks(ids[i]), l.term.Fence)
		}
	})
	// Every watch set is recorded here, not as each read is applied: a
	// caller stops at the first read that fails, and a watch left out
	// would be set again by the next read, stacked on the live one (whose
	// events would each be read twice for the rest of the term).
	for i, r := range out {
		if r.watched {
			l.watched[l.lay.Worker(ids[i])] = true
		}
	}
	return out
}

// applyWorker updates the view with one registration readWorkers read.
func (l *leader) applyWorker(id string, r workerRead) error {
	defer func() { l.s.counters.workers.Store(int64(len(l.workers))) }()
	e, err := r.e, r.err
	if errors.Is(err, store.ErrNoNode) || err == nil && e == nil { // gone, or malformed and quarantined
		return l.workerLeft(id)
	}
	if err != nil {
		return err
	}
	w := l.workers[id]
	if w != nil && w.reg != e.Reg {
		l.log.Warn().Str("worker_id", id).Msg("worker registered anew: recovering its earlier work")
	}
	if w == nil || w.reg != e.Reg {
		if !r.ensured {
			r.dirErr = l.st.EnsurePathFenced(l.lay.WorkerTasks(id), l.term.Fence)
		}
		if r.dirErr != nil {
			return r.dirErr
		}
		w = newWorkerView(e.Reg)
		l.workers[id] = w
		l.log.Info().Str("worker_id", id).Int("capacity", e.Info.Capacity).Msg("worker joined")
		l.listWorkerTasks(id)
	}
	last := w.Last // its turn outlives a change of registration
	w.slot = slotWith(e.Info, w.slot.Allow)
	w.slot.ID, w.slot.Used, w.slot.Last = id, len(w.checked), last
	w.draining = e.Info.Draining
	w.applyCordon(l.cordoned[id])
	return nil
}

// workerLeft drops a worker from the view and recovers its attempts.
func (l *leader) workerLeft(id string) error {
	if l.workers[id] == nil {
		return nil
	}
	l.log.Warn().Str("worker_id", id).Msg("worker left: re-queueing its attempts")
	delete(l.workers, id)
	return l.recoverWorkerDir(id)
}

// syncOrphanTaskDirs recovers assignment directories of workers not in the
// view (at takeover, and after each listing of the registrations). One of a
// worker registered since that listing goes too, if empty: the worker makes
// it again when it finds it gone, and the leader when it reads the
// registration.
func (l *leader) syncOrphanTaskDirs() error {
	dirs, err := l.st.Children(l.lay.Tasks())
	if err != nil {
		return err
	}
	for _, id := range dirs {
		if l.workers[id] == nil {
			if err := l.recoverWorkerDir(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// recoverWorkerDir re-queues every attempt in the directory of a worker that is
// not registered, then removes the directory.
func (l *leader) recoverWorkerDir(id string) error {
	dir := l.lay.WorkerTasks(id)
	kids, err := l.st.Children(dir)
	if errors.Is(err, store.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	var paths, manifests []string
	for _, name := range kids {
		if store.IsManifestName(name) {
			manifests = append(manifests, dir+"/"+name)
		} else {
			paths = append(paths, dir+"/"+name)
		}
	}
	for _, rd := range l.st.GetMany(paths) {
		if _, _, err := l.checkAssignment(id, nil, rd); err != nil {
			return err
		}
	}
	// Manifests only copy assignments: with those recovered they are dropped.
	for _, m := range manifests {
		err := l.st.Txn().Fence(l.term.Fence, -1).Delete(m, -1).Commit()
		if err != nil && !errors.Is(err, store.ErrNoNode) {
			return err
		}
	}
	err = l.st.Txn().Fence(l.term.Fence, -1).Delete(dir, -1).Commit()
	if err != nil && !errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrNotEmpty) {
		return err
	}
	return nil
}

func (l *leader) read(path string) store.Read { return l.st.GetMany([]string{path})[0] }

// taskList is a listing of a worker's directory made off the event loop, with
// reads of the assignments the leader did not know when it was issued.
type taskList struct {
	gen     uint64
	id      string
	reg     int64
	watched bool // the listing was to set the directory's watch
	names   []string
	stat    store.Stat
	reads   []store.Read
	err     error
}

// listWorkerTasks lists a live worker's directory in the background; the
// result is applied by applyTaskList in the event loop. One listing per worker
// is in flight at a time: a request meanwhile makes another follow it.
func (l *leader) listWorkerTasks(id string) {
	w := l.workers[id]
	if w == nil {
		return
	}
	if w.listing {
		w.relist = true
		return
	}
	w.listing, w.relist = true, false
	dir := l.lay.WorkerTasks(id)
	watch := !l.watched[dir]
	if watch {
		l.watched[dir] = true
	}
	known := make(map[string]bool, len(w.checked))
	for name := range w.checked {
		known[name] = true
	}
	r := taskList{gen: l.gen, id: id, reg: w.reg, watched: watch}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		if watch {
			ev := watchEvent{kind: watchWorkerTasks, path: dir, arg: id}
			r.names, r.stat, r.err = l.st.ListWFunc(dir, l.sink.on(ev))
		} else {
			r.names, r.stat, r.err = l.st.List(dir)
		}
		if r.err == nil {
			var paths []string
			for _, name := range r.names {
				if !known[name] && !store.IsManifestName(name) {
					paths = append(paths, dir+"/"+name)
				}
			}
			r.reads = l.st.GetMany(paths)
		}
		select {
		case l.lists <- r:
		case <-l.done:
		}
	}()
}

// applyTaskList brings a worker's view up to date with a listing: assignments
// of an earlier registration are recovered, finished ones stop counting, and
// placements the listing does not reflect yet keep counting.
func (l *leader) applyTaskList(r taskList) error {
	dir := l.lay.WorkerTasks(r.id)
	if r.err != nil && r.watched {
		delete(l.watched, dir) // not set: the next listing sets it
	}
	if r.gen != l.gen {
		// From before a rebuild. Should it have failed to set the
		// watch, the new view's listing, made while the path was still
		// marked watched, set none either: list again, with one.
		if r.err != nil && r.watched && l.workers[r.id] != nil {
			l.listWorkerTasks(r.id)
		}
		return nil
	}
	w := l.workers[r.id]
	if w != nil && w.reg != r.reg {
		w = nil // registered anew: the new view lists for itself
	}
	if w != nil {
		w.listing = false
	}
	if r.err != nil {
		if !errors.Is(r.err, store.ErrNoNode) {
			return r.err
		}
		if w != nil { // the directory went missing: make it again and look
			if err := l.st.EnsurePathFenced(dir, l.term.Fence); err != nil {
				return err
			}
			l.listWorkerTasks(r.id)
		}
		return nil
	}
	if w == nil {
		return nil // gone: recovered when it left
	}
	reads := make(map[string]store.Read, len(r.reads))
	for _, rd := range r.reads {
		reads[rd.Path] = rd
	}
	listed := make(map[string]bool, len(r.names))
	checked := make(map[string]time.Time, len(r.names))
	for _, name := range r.names {
		if store.IsManifestName(name) {
			continue // the worker reads and deletes it
		}
		listed[name] = true
		if dl, ok := w.checked[name]; ok {
			checked[name] = dl
			continue
		}
		p := dir + "/" + name
		rd, ok := reads[p]
		if !ok { // counted when the listing was issued, dropped since: look again
			rd = l.read(p)
		}
		keep, dl, err := l.checkAssignment(r.id, w, rd)
		if err != nil {
			return err
		}
		if keep {
			checked[name] = dl
		}
	}
	for name, dl := range w.checked {
		if listed[name] {
			continue
		}
		// Absent, but placed by a transaction this listing may predate.
		if z, ok := w.unseen[name]; w.inflight[name] || ok && z > r.stat.Pzxid {
			checked[name] = dl
		} else if len(l.waitingOn) > 0 {
			if id, _, err := store.ParseAssignmentName(name); err == nil {
				l.lookAgain(id) // its waiters, if any, look again
			}
		}
	}
	for name, z := range w.unseen {
		if z <= r.stat.Pzxid {
			delete(w.unseen, name)
		}
	}
	w.checked, w.listed, w.listZxid, w.listedOnce = checked, listed, r.stat.Pzxid, true
	w.recount()
	if w.relist {
		l.listWorkerTasks(r.id)
	}
	return nil
}

// errChanged means an assignment changed between read and write.
var errChanged = errors.New("assignment changed meanwhile")

// checkAssignment checks one assignment of worker id as read (w nil: the
// worker is gone) and re-queues it unless it belongs to the worker's current
// registration; malformed data is quarantined.
func (l *leader) checkAssignment(id string, w *workerView, rd store.Read) (keep bool, deadline time.Time, err error) {
	for {
		keep, deadline, err = l.checkRead(id, w, rd)
		if !errors.Is(err, errChanged) {
			return keep, deadline, err
		}
		// The worker wrote the assignment (marked it running) between our read
		// and our write: read it again.
		rd = l.read(rd.Path)
	}
}

func (l *leader) checkRead(id string, w *workerView, rd store.Read) (keep bool, deadline time.Time, err error) {
	p, data, stat := rd.Path, rd.Data, rd.Stat
	if errors.Is(rd.Err, store.ErrNoNode) {
		return false, time.Time{}, nil
	}
	if rd.Err != nil {
		return false, time.Time{}, rd.Err
	}
	name := p[len(l.lay.WorkerTasks(id))+1:]
	task, derr := decodeAssignment(name, data)
	if derr != nil {
		return false, time.Time{}, l.moveAssignmentAside(p, data, stat.Version, derr)
	}
	if w != nil && task.Reg == w.reg {
		return true, l.deadline(task), nil
	}
	return false, time.Time{}, l.recoverAttempt(p, stat.Version, task, "worker lost", true)
}

// decodeAssignment decodes the assignment named name, refusing as
// malformed a record of another task or attempt than its name says (copied
// there by hand): read as it stands, the attempt placed there would be
// taken for that other one, and the placed one lost.
func decodeAssignment(name string, data []byte) (*store.Task, error) {
	task, err := store.DecodeTask(data)
	if err != nil {
		return nil, err
	}
	if tid, attempt, perr := store.ParseAssignmentName(name); perr != nil || tid != task.ID || attempt != task.Attempt {
		return nil, fmt.Errorf("%w: assignment %s holds task %s attempt %d", store.ErrMalformed, name, task.ID, task.Attempt)
	}
	return task, nil
}

// deadline is when the leader withdraws an attempt that outlived its timeout:
// the worker enforces the timeout itself, so this only catches a worker that is
// alive but stuck.
func (l *leader) deadline(task *store.Task) time.Time {
	return overdueAt(task, l.s.cfg.TimeoutGrace)
}

// overdueAt is when an attempt of task is overdue: grace after its timeout,
// counted from its assignment; zero for none. A timeout that would overflow
// with the grace (some 292 years) is none: it was a deadline in the past.
// withdrawOverdue adds how late the attempt started (startedLate).
func overdueAt(task *store.Task, grace time.Duration) time.Time {
	return overdueFrom(task, task.AssignedAt, grace)
}

// overdueFrom is overdueAt counted from assigned, the assignment's time by
// some clock.
func overdueFrom(task *store.Task, assigned time.Time, grace time.Duration) time.Time {
	d := task.Timeout.Duration()
	if task.Timeout <= 0 || assigned.IsZero() || d > math.MaxInt64-grace {
		return time.Time{}
	}
	return assigned.Add(d + grace)
}

// zookeeperNow reads ZooKeeper's clock (one fenced write), moved by
// zookeeperAhead in tests.
func (l *leader) zookeeperNow() (time.Time, error) {
	t, err := l.st.ZookeeperNow(l.term.Fence)
	if err != nil {
		return time.Time{}, err
	}
	return t.Add(l.s.cfg.zookeeperAhead), nil
}

// startedLate is how long after its assignment an attempt was marked
// running, by ZooKeeper's clock: the assignment's last write (the worker's
// running mark) less its creation. The worker's timeout counts from the
// start: an attempt started late (by a worker back from a partition) was
// withdrawn while it still ran in time. Not the record's started_at, which
// is the worker's clock: one far ahead put the withdrawal off for good. At
// most maxStartDelay.
func startedLate(st store.Stat) time.Duration {
	return min(max(st.Mtime.Sub(st.Ctime), 0), maxStartDelay)
}

// maxStartDelay bounds startedLate: the longest session timeout Drover
// allows, after which a worker away has lost its registration and the
// attempt with it.
const maxStartDelay = time.Minute

// withdrawOverdue withdraws attempts past their deadline and queues their next
// attempt (or records the task dead): such an attempt counts as failed.
//
// The leader's wall clock only picks the candidates: assigned_at is the
// placing leader's, and a clock stepped forward, or a takeover by a host
// whose clock is ahead, would withdraw attempts still running in time (a
// retry then runs beside them). A candidate is withdrawn once it is overdue
// by ZooKeeper's clock: its assignment's creation (and running mark, see
// startedLate) against ZooKeeper's now, read when a candidate comes up. A
// clock behind only withdraws late.
func (l *leader) withdrawOverdue() error {
	now := l.now()
	var zkNow time.Time // read once a pass, when a candidate comes up
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
			task, err := decodeAssignment(name, data)
			if err != nil {
				// Written over since it was counted (a relist keeps a name
				// it counts without reading it again): moved aside here, or
				// it held its slot, read every second, for good. Another
				// task's record is moved aside too, as checkRead does: taken
				// for this attempt, it was queued as a task nobody
				// submitted, and the one placed here was lost.
				if qerr := l.moveAssignmentAside(p, data, stat.Version, err); qerr != nil {
					return qerr
				}
				w.checked[name] = time.Time{}
				continue
			}
			base := l.deadline(task)
			if base.IsZero() { // no timeout in the record as it stands
				w.checked[name] = time.Time{}
				continue
			}
			if due := base.Add(startedLate(stat)); now.Before(due) {
				// Started later than it was placed: its timeout counts
				// from then (the view read it at placement). Due is the
				// same at every read: put off once.
				w.checked[name] = due
				continue
			}
			if zkNow.IsZero() {
				if zkNow, err = l.zookeeperNow(); err != nil {
					return err
				}
			}
			if due := overdueFrom(task, stat.Ctime, l.s.cfg.TimeoutGrace).Add(startedLate(stat)); zkNow.Before(due) {
				// Not yet by ZooKeeper's clock: the leader's runs ahead of
				// it, or the placing leader's ran behind. Looked at again
				// when it is due by ZooKeeper's.
				w.checked[name] = now.Add(due.Sub(zkNow))
				continue
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

// recoverAttempt withdraws an attempt whose worker is gone (lost) or that
// outlived its timeout, and queues the next one (or records the task's end),
// in one fenced transaction. A lost attempt's retry is placed at once; a
// timed-out one failed, and its retry waits out the backoff. A lost
// worker's assignment never marked running never started (the worker
// starts nothing before its mark commits, and the delete at the version
// read fails a mark that lands first): it ends unstarted (Attempt.
// Unstarted), neither lost nor failed, so that a task prefetched onto
// workers that die does not run out of losses without ever running.
func (l *leader) recoverAttempt(path string, version int32, task *store.Task, why string, lost bool) error {
	now := l.now().UTC()
	next := task.Clone()
	unstarted := lost && task.State == store.StateAssigned && task.MayEndUnstarted()
	if unstarted {
		why = "worker lost before it started the attempt"
	}
	next.AddAttempt(store.Attempt{
		N: task.Attempt, Worker: task.Worker, StartedAt: task.StartedAt, FinishedAt: now,
		ExitCode: -1, Error: why, Lost: lost && !unstarted, Unstarted: unstarted,
	})
	log := l.log.With().Str("task_id", task.ID).Str("worker_id", task.Worker).Int("attempt", task.Attempt).Logger()
	retry := next.ShouldRetry()
	var endState store.State // the task's, when it ends here
	var built error          // the record could not be carried on: not the commit's
	err := l.st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Fence(l.term.Fence, -1).Delete(path, version)
		if retry {
			n := next.Clone()
			n.Attempt++
			n.NotBefore = time.Time{}
			if !lost {
				n.NotBefore = now.Add(l.s.cfg.Backoff.For(next).Delay(next.Failures()))
			}
			built = txn.Enqueue(n)
			return built
		}
		n := next.Clone()
		n.State, n.FinishedAt, n.Error = store.StateDead, now, why
		if lost {
			n.Error = "worker lost too often"
		} else {
			n.State = next.FailedState()
		}
		minus1 := -1
		n.ExitCode = &minus1
		endState = n.State
		built = txn.Finish(n)
		return built
	})
	if built != nil {
		// Its next attempt or its end does not fit a record (a record
		// written near the size limit by something other than Drover):
		// moved aside, as malformed data is, rather than end every term
		// that comes to it.
		log.Error().Err(built).Msg("attempt cannot be withdrawn: its record cannot be carried on; moving it to deadletter")
		data, stat, err := l.st.Get(path)
		switch {
		case errors.Is(err, store.ErrNoNode):
			return nil
		case err != nil:
			return err
		case stat.Version != version:
			return errChanged
		}
		return l.moveAssignmentAside(path, data, version, built)
	}
	switch {
	case err == nil:
		if !retry {
			l.s.counters.ended(endState)
		}
		l.s.counters.recovered.Add(1) // after: a reader of both sees the end
		log.Warn().Bool("requeued", retry).Str("why", why).Msg("attempt withdrawn")
		return nil
	case replyLost(err):
		// Its reply lost: counted once the next view finds it landed.
		l.unsureWithdrawn[task.ID] = unsureWithdrawal{attempt: task.Attempt, at: now, ended: endState}
		return err
	case errors.Is(err, store.ErrFenced):
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
		switch {
		case errors.Is(derr, store.ErrBadVersion):
			return errChanged // not dropped: read again, as any change is
		case derr != nil && !errors.Is(derr, store.ErrNoNode):
			return derr
		}
		log.Warn().Msg("dropped a stale duplicate assignment")
		return nil
	}
	return fmt.Errorf("recover %s: %w", path, err)
}

// unsureWithdrawal is a withdrawal whose reply was lost: of the task's
// attempt, ended at (the time it wrote in the attempt's history entry),
// and the task's end it wrote ("" when it queued the next attempt).
type unsureWithdrawal struct {
	attempt int
	at      time.Time
	ended   store.State
}

// tallyWithdrawn counts the withdrawals whose reply was lost and that
// landed: the task's record, wherever it is now, has the attempt ended as
// the withdrawal wrote it. They went uncounted in
// drover_attempts_withdrawn_total (and drover_tasks_ended_by_leader_total).
// Two reads a task, pipelined, only after a blip; a task found in neither
// its result nor its queue (placed again since, by another leader) is
// looked for on the workers, as tallyPlaced does.
func (l *leader) tallyWithdrawn() {
	if len(l.unsureWithdrawn) == 0 {
		return
	}
	var ids []string
	var paths []string
	for id := range l.unsureWithdrawn {
		ids = append(ids, id)
		paths = append(paths, l.lay.Result(id), l.lay.QueueItem(id))
	}
	reads := l.st.GetMany(paths) // pipelined, all at once
	var placed store.Placed      // shared: the workers' directories listed once
	for k, id := range ids {
		u := l.unsureWithdrawn[id]
		delete(l.unsureWithdrawn, id)
		landed := func(t *store.Task) bool {
			return slices.ContainsFunc(t.History, func(h store.Attempt) bool { return h.N == u.attempt && h.FinishedAt.Equal(u.at) })
		}
		found, ok := false, false
		for _, rd := range reads[2*k : 2*k+2] {
			if rd.Err != nil {
				continue
			}
			if t, err := store.DecodeTaskOf(id, rd.Data); err == nil {
				found = true
				if ok = landed(t); ok {
					break
				}
			}
		}
		if !found {
			if t, _, err := l.st.LookupTaskIn(id, &placed); err == nil {
				ok = landed(t)
			}
		}
		if !ok {
			continue
		}
		// Landed, it wrote what it was sent with: the task's end, if it
		// ended it (a drover retry may have queued it again since).
		if u.ended != "" {
			l.s.counters.ended(u.ended)
		}
		l.s.counters.recovered.Add(1)
	}
}

// moveAssignmentAside moves the assignment at p, data as read at version,
// to deadletter for why. One gone or changed meanwhile is no error: its new
// content, if any, is read again.
func (l *leader) moveAssignmentAside(p string, data []byte, version int32, why error) error {
	err := l.st.Quarantine(p, data, version, why)
	if err == nil {
		if id, _, perr := store.ParseAssignmentName(p[strings.LastIndexByte(p, '/')+1:]); perr == nil {
			l.lookAgain(id)
		}
	}
	if err != nil && !errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrBadVersion) {
		return err
	}
	return nil
}
