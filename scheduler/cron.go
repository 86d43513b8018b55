package scheduler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/drover-sched/drover/store"
)

// cronEntry is a schedule as the leader sees it.
type cronEntry struct {
	rec     *store.Schedule
	version int32
	spec    cron.Schedule
	next    time.Time // zero: nothing to fire (suspended)
}

// syncSchedules relists schedules/ and reads the ones not yet known.
func (l *leader) syncSchedules() error {
	names, _, err := l.childrenW(watchSchedules, l.lay.Schedules(), "")
	if err != nil {
		return err
	}
	present := make(map[string]bool, len(names))
	var fresh []string
	for _, name := range names {
		present[name] = true
		if l.schedules[name] == nil {
			fresh = append(fresh, name)
		}
	}
	// Pipelined: a takeover finds every schedule new.
	for i, r := range l.readSchedules(fresh) {
		if err := l.applySchedule(fresh[i], r); err != nil {
			return err
		}
	}
	for name := range l.schedules {
		if !present[name] {
			delete(l.schedules, name)
		}
	}
	return nil
}

// readSchedule (re)reads one schedule, watching it, and fires what is due.
func (l *leader) readSchedule(name string) error {
	return l.applySchedule(name, l.readSchedules([]string{name})[0])
}

// scheduleRead is a schedule's znode as readSchedules read it, with the
// watch set on it (watched: a new one, to be forwarded).
type scheduleRead struct {
	data    []byte
	stat    store.Stat
	ev      <-chan store.Event
	watched bool
	err     error
}

// readSchedules reads schedules with their requests pipelined, watching each
// that has no watch yet. It only reads the view; applySchedule applies each.
func (l *leader) readSchedules(names []string) []scheduleRead {
	out := make([]scheduleRead, len(names))
	watch := make([]bool, len(names))
	for i, name := range names {
		watch[i] = !l.watched[l.lay.Schedule(name)]
	}
	store.Pipelined(len(names), func(i int) {
		r, p := &out[i], l.lay.Schedule(names[i])
		if watch[i] {
			r.data, r.stat, r.ev, r.err = l.st.GetW(p)
			r.watched = r.err == nil
		} else {
			r.data, r.stat, r.err = l.st.Get(p)
		}
	})
	return out
}

// applySchedule takes one schedule readSchedules read into the view, moving
// it aside if it is malformed, and fires what is due.
func (l *leader) applySchedule(name string, r scheduleRead) error {
	p := l.lay.Schedule(name)
	if r.watched {
		l.watched[p] = true
		l.forward(r.ev, watchEvent{kind: watchSchedule, path: p, arg: name})
	}
	data, stat, err := r.data, r.stat, r.err
	if errors.Is(err, store.ErrNoNode) {
		delete(l.schedules, name)
		return nil
	}
	if err != nil {
		return err
	}
	rec, derr := store.DecodeSchedule(data)
	var spec cron.Schedule
	if derr == nil && rec.Name != name {
		derr = fmt.Errorf("%w: schedule %s names itself %q", store.ErrMalformed, name, rec.Name)
	}
	if derr == nil {
		if spec, err = ParseSpec(rec.Cron, rec.TZ); err != nil {
			derr = fmt.Errorf("%w: %v", store.ErrMalformed, err)
		}
	}
	if derr != nil {
		delete(l.schedules, name)
		if err := l.st.Quarantine(p, data, stat.Version, derr); err != nil && !errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrBadVersion) {
			return err
		}
		return nil
	}
	e := &cronEntry{rec: rec, version: stat.Version, spec: spec}
	l.schedules[name] = e
	return l.runSchedule(e)
}

// nextCron is the earliest time a schedule needs the leader (zero: none).
func (l *leader) nextCron() time.Time {
	var next time.Time
	for _, e := range l.schedules {
		if !e.next.IsZero() && (next.IsZero() || e.next.Before(next)) {
			next = e.next
		}
	}
	return next
}

// fireDue runs every schedule whose next slot has come.
func (l *leader) fireDue() error {
	now := l.now()
	for _, e := range l.schedules {
		if !e.next.IsZero() && !e.next.After(now) {
			if err := l.runSchedule(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// runSchedule fires a schedule's due slots in one fenced transaction that also
// advances its last slot: a slot can fire only once, whoever leads.
func (l *leader) runSchedule(e *cronEntry) error {
	for try := 0; ; try++ {
		if e.rec.Suspended {
			e.next = time.Time{}
			return nil
		}
		now := l.now()
		plan := PlanSlots(e.spec, e.rec, now)
		e.next = plan.Next
		if plan.Last.IsZero() {
			return nil
		}
		err := l.fire(e, plan, now)
		if err == nil || try >= 3 {
			return err
		}
		if !errors.Is(err, store.ErrBadVersion) && !errors.Is(err, store.ErrNodeExists) && !errors.Is(err, store.ErrNoNode) {
			return err
		}
		// Changed under us (paused, edited) or raced (a run that replace
		// cancels was placed or finished meanwhile: its znode is gone): read
		// it again and plan anew.
		delete(l.watched, l.lay.Schedule(e.rec.Name))
		return l.readSchedule(e.rec.Name)
	}
}

func (l *leader) fire(e *cronEntry, plan Plan, now time.Time) error {
	rec := cloneSchedule(e.rec)
	log := l.log.With().Str("schedule", rec.Name).Logger()
	if err := l.refreshRuns(rec); err != nil {
		return err
	}
	for _, slot := range plan.Missed {
		rec.Record(store.ScheduleRun{Slot: slot.UTC(), Reason: "missed"})
	}
	var tasks []*store.Task
	var slots []time.Time
	var cancels []cancelOp
	for _, slot := range plan.Fire {
		active := len(rec.Active) > 0
		switch {
		case active && rec.Concurrency == store.ConcurrencyForbid:
			rec.Record(store.ScheduleRun{Slot: slot.UTC(), Reason: "skipped: previous run still active"})
			log.Info().Time("slot", slot).Msg("slot skipped: previous run still active")
			continue
		case active && rec.Concurrency == store.ConcurrencyReplace:
			for _, r := range rec.Active {
				if op, ok, err := l.cancelOp(r.Task, now); err != nil {
					return err
				} else if ok {
					cancels = append(cancels, op)
				}
				r.State = store.StateCancelled
				rec.Record(r)
			}
			rec.Active = nil
		}
		t := slotTask(rec, slot, now)
		tasks, slots = append(tasks, t), append(slots, slot)
		rec.Active = append(rec.Active, store.ScheduleRun{Slot: slot.UTC(), Task: t.ID})
		rec.Fired++
	}
	if len(rec.Active) > store.MaxActiveRuns {
		for _, r := range rec.Active[:len(rec.Active)-store.MaxActiveRuns] {
			r.Reason = "no longer tracked"
			rec.Record(r)
		}
		rec.Active = append([]store.ScheduleRun(nil), rec.Active[len(rec.Active)-store.MaxActiveRuns:]...)
	}
	rec.LastSlot = plan.Last.UTC()
	data, err := store.Encode(rec)
	if err != nil {
		return fmt.Errorf("schedule %s: %w", rec.Name, err)
	}
	ids := make([]string, 0, len(tasks)+len(cancels))
	for _, t := range tasks {
		ids = append(ids, t.ID)
	}
	for _, c := range cancels {
		ids = append(ids, c.done.ID)
	}
	err = l.st.CommitCreatingBuckets(ids, func(txn *store.Txn) error {
		txn.Fence(l.term.Fence, -1).Set(l.lay.Schedule(rec.Name), data, e.version)
		for _, c := range cancels {
			txn.Delete(c.path, c.version)
			if err := txn.Finish(c.done.Clone()); err != nil {
				return err
			}
		}
		for _, t := range tasks {
			if err := txn.Enqueue(t.Clone()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fire schedule %s: %w", rec.Name, err)
	}
	e.rec, e.version = rec, e.version+1
	for _, c := range cancels {
		if q := l.lookup(c.done.ID); q != nil {
			l.unqueue(q)
		}
	}
	l.s.counters.fired.Add(uint64(len(tasks)))
	for i, t := range tasks {
		l.addQueued(t, store.EnqueuedVersion) // place it now, without waiting for the queue watch
		log.Info().Str("task_id", t.ID).Time("slot", slots[i]).Dur("delay", now.Sub(slots[i])).Msg("slot fired")
	}
	if plan.MissedCount > 0 {
		log.Warn().Int("missed", plan.MissedCount).Str("catchup", rec.Catchup).Msg("slots missed")
	}
	return nil
}

// slotTask is the task of one slot: the schedule's template under the slot's
// deterministic id.
func slotTask(rec *store.Schedule, slot, now time.Time) *store.Task {
	t := rec.Task.Clone()
	t.ID = store.SlotTaskID(rec.Name+"@"+strconv.FormatInt(rec.CreatedAt.UnixNano(), 10), slot)
	if t.Name == "" {
		t.Name = rec.Name
	}
	if t.Env == nil {
		t.Env = map[string]string{}
	}
	t.Env["DROVER_SCHEDULE"] = rec.Name
	t.Env["DROVER_SLOT"] = strconv.FormatInt(slot.Unix(), 10)
	t.SubmittedAt, t.Attempt, t.State = now.UTC(), 1, store.StateQueued
	return t
}

// refreshRuns moves the schedule's active runs that have a result into its
// history, and drops runs that are gone altogether.
func (l *leader) refreshRuns(rec *store.Schedule) error {
	return RefreshRuns(l.st, rec, l.knowsTask)
}

// knowsTask reports whether the view has task id queued or placed, or
// cannot tell yet: a worker whose directory it has not listed may hold it.
// A takeover fires due slots before any listing is applied, and each run
// it did not know would cost a look at every worker's directory; such a run
// is kept active, and looked at on the next firing instead.
func (l *leader) knowsTask(id string) bool {
	if l.lookup(id) != nil {
		return true
	}
	prefix := id + "."
	for _, w := range l.workers {
		if !w.listedOnce {
			return true
		}
		for name := range w.checked {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		}
	}
	return false
}

// RefreshRuns files each active run of rec that has ended into its history,
// reading results by id (no listing), pipelined (up to 64 in flight): a slot
// fires after this, and an allow schedule whose runs outlast its period has
// many active. With known (the leader's view), a run
// with no result that known does not hold is looked for everywhere, and
// dropped when it is nowhere: its result was pruned (or its record moved
// aside) before its outcome was seen, and a forbid policy would otherwise
// skip every later slot for it.
func RefreshRuns(st *store.Store, rec *store.Schedule, known func(id string) bool) error {
	paths := make([]string, len(rec.Active))
	for i, r := range rec.Active {
		paths[i] = st.Layout().Result(r.Task)
	}
	reads := st.GetMany(paths)
	var still []store.ScheduleRun
	for i, r := range rec.Active {
		data, err := reads[i].Data, reads[i].Err
		if errors.Is(err, store.ErrNoNode) {
			if known != nil && !known(r.Task) {
				_, _, lerr := st.LookupTask(r.Task)
				if errors.Is(lerr, store.ErrUnknownTask) {
					r.Reason = "gone: no result left (pruned) and no record"
					rec.Record(r)
					continue
				}
			}
			still = append(still, r)
			continue
		}
		if err != nil {
			return err
		}
		t, err := store.DecodeTask(data)
		if err != nil {
			r.Reason = "result unreadable"
		} else {
			r.State = t.State
		}
		rec.Record(r)
	}
	rec.Active = still
	return nil
}

// cancelOp is the withdrawal of a run that a replace policy cancels.
type cancelOp struct {
	path    string
	version int32
	done    *store.Task
}

// cancelOp finds a run still queued or placed and prepares its cancellation.
func (l *leader) cancelOp(id string, now time.Time) (cancelOp, bool, error) {
	t, loc, err := l.st.LookupTask(id)
	if errors.Is(err, store.ErrUnknownTask) {
		return cancelOp{}, false, nil
	}
	if err != nil {
		return cancelOp{}, false, err
	}
	if t.State.Terminal() {
		return cancelOp{}, false, nil
	}
	done := t.Clone()
	done.State, done.FinishedAt, done.Error = store.StateCancelled, now.UTC(), "replaced by a newer slot"
	if t.State == store.StateAssigned || t.State == store.StateRunning {
		done.AddAttempt(store.Attempt{N: t.Attempt, Worker: t.Worker, StartedAt: t.StartedAt,
			FinishedAt: now.UTC(), ExitCode: -1, Error: "cancelled: replaced"})
	}
	return cancelOp{path: loc.Path, version: loc.Stat.Version, done: done}, true, nil
}

func cloneSchedule(s *store.Schedule) *store.Schedule {
	c := *s
	c.Task = *s.Task.Clone()
	c.Active = append([]store.ScheduleRun(nil), s.Active...)
	c.Succeeded = append([]store.ScheduleRun(nil), s.Succeeded...)
	c.Failed = append([]store.ScheduleRun(nil), s.Failed...)
	c.Skipped = append([]store.ScheduleRun(nil), s.Skipped...)
	return &c
}
