package scheduler

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	czxid   int64
	spec    cron.Schedule
	next    time.Time // zero: nothing to fire (suspended)
	// held is when the slots a firing too large for one transaction left
	// for the next round were found due (zero: none): they are judged late
	// or not as of then, not as of the round.
	held time.Time
	// refreshed is the slot ahead of which the outcomes of the active runs
	// were read (refreshRuns).
	refreshed time.Time
	// filedAhead are runs the record in ZooKeeper lists active that a read
	// ahead filed in rec alone: retention keeps their results
	// (trackedRuns) until a firing writes the record, or it is read again
	// (a new entry), as the record's own active runs. Before, a pass in
	// the read's 10 s pruned them, and a term that ended, or an edit of
	// the record, before the firing lost their outcomes.
	filedAhead []string
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
		_, removed := l.tombstones[name]
		_, newer := l.newer[name]
		if l.schedules[name] == nil && !removed && !newer {
			fresh = append(fresh, name) // a tombstone's (a newer record's) watch tells of a change
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
	for name := range l.tombstones {
		if !present[name] {
			delete(l.tombstones, name)
		}
	}
	for name := range l.newer {
		if !present[name] {
			delete(l.newer, name)
			delete(l.newerRuns, name)
		}
	}
	for k := range l.said {
		if _, name, _ := strings.Cut(k, "\x00"); !present[name] {
			delete(l.said, k)
		}
	}
	for name := range l.unsureFirings {
		if _, known := l.schedules[name]; !known || !present[name] {
			delete(l.unsureFirings, name) // read, or not a schedule to read
		}
	}
	l.changed()
	return nil
}

// once reports whether what kind says of schedule name, at the version and
// czxid of its record at, has not been said yet (and marks it said): once
// for each version, however often the view is rebuilt.
func (l *leader) once(kind, name string, at znodeAt) bool {
	k := kind + "\x00" + name
	if said, ok := l.said[k]; ok && said == at {
		return false
	}
	l.said[k] = at
	return true
}

// readSchedule (re)reads one schedule, watching it; what is due fires with
// the next fireDue.
func (l *leader) readSchedule(name string) error {
	return l.applySchedule(name, l.readSchedules([]string{name})[0])
}

// scheduleRead is a schedule's znode as readSchedules read it, with the
// watch set on it (watched: a new one). same: the record is
// at the view's version and czxid, and its data was not read.
type scheduleRead struct {
	data    []byte
	stat    store.Stat
	watched bool
	same    bool
	err     error
}

// readSchedules reads schedules with their requests pipelined, watching each
// that has no watch yet. A schedule in the view is first only checked: most
// events are of records the leader wrote itself (every schedule a firing
// wrote comes back as one), and a record at the view's version, made by the
// same create (czxid: a record deleted and created again, by hand or by an
// older Drover's rm, can come back to an equal version), is the one the view
// holds. It only records the watches it set in the view; applySchedule
// applies each read.
func (l *leader) readSchedules(names []string) []scheduleRead {
	out := make([]scheduleRead, len(names))
	watch := make([]bool, len(names))
	known := make([]int32, len(names)) // the view's version; -1: not in it
	czxid := make([]int64, len(names))
	for i, name := range names {
		watch[i] = !l.watched[l.lay.Schedule(name)]
		known[i] = -1
		if e := l.schedules[name]; e != nil {
			known[i], czxid[i] = e.version, e.czxid
		}
	}
	store.Pipelined(len(names), func(i int) {
		r, p := &out[i], l.lay.Schedule(names[i])
		on := l.sink.on(watchEvent{kind: watchSchedule, path: p, arg: names[i]})
		if known[i] >= 0 {
			var ok bool
			if watch[i] {
				// Set on a missing znode too: it then tells of its creation.
				ok, r.stat, r.err = l.st.ExistsWFunc(p, on)
				r.watched = r.err == nil
			} else {
				ok, r.stat, r.err = l.st.Exists(p)
			}
			switch {
			case r.err != nil:
				return
			case !ok:
				r.err = fmt.Errorf("schedule %s: %w", names[i], store.ErrNoNode)
				return
			case r.stat.Version == known[i] && r.stat.Czxid == czxid[i]:
				r.same = true
				return
			}
			r.data, r.stat, r.err = l.st.Get(p) // the watch is set
			return
		}
		if watch[i] {
			r.data, r.stat, r.err = l.st.GetWFunc(p, on)
			r.watched = r.err == nil
		} else {
			r.data, r.stat, r.err = l.st.Get(p)
		}
	})
	// Recorded here, not as each read is applied: see readWorkers.
	for i, r := range out {
		if r.watched {
			l.watched[l.lay.Schedule(names[i])] = true
		}
	}
	return out
}

// applySchedule takes one schedule readSchedules read into the view, moving
// it aside if it is malformed, and makes what is due fire with the next
// fireDue.
func (l *leader) applySchedule(name string, r scheduleRead) error {
	p := l.lay.Schedule(name)
	if r.same {
		return nil // the view holds it
	}
	l.changed()
	data, stat, err := r.data, r.stat, r.err
	if errors.Is(err, store.ErrNoNode) {
		delete(l.schedules, name)
		delete(l.tombstones, name)
		delete(l.newer, name)
		delete(l.newerRuns, name)
		delete(l.compat, name)
		return nil
	}
	if nodeFault(err) {
		// This znode's fault (an ACL that refuses reads, set by hand): not
		// fired, rather than every term ended on it.
		l.log.Warn().Err(err).Str("schedule", name).Msg("schedule cannot be read: not fired until it can be (the view's next rebuild, or the next term)")
		return nil
	}
	if err != nil {
		return err
	}
	rec, derr := store.DecodeSchedule(data)
	if errors.Is(derr, store.ErrUnsupportedVersion) {
		// A newer release's record, during an upgrade: not malformed, and
		// not this build's to fire or to move; its watch tells of a change.
		delete(l.schedules, name)
		delete(l.tombstones, name)
		at := znodeAt{version: stat.Version, czxid: stat.Czxid}
		l.newer[name] = at
		l.newerRuns[name] = activeRunsOf(data)
		if l.once("newer", name, at) {
			l.log.Warn().Err(derr).Str("schedule", name).Msg("schedule record of a newer format: left in place, not fired")
		}
		return nil
	}
	delete(l.newer, name)
	delete(l.newerRuns, name)
	var spec cron.Schedule
	if derr == nil && rec.Name != name {
		derr = fmt.Errorf("%w: schedule %s names itself %q", store.ErrMalformed, name, rec.Name)
	}
	if derr == nil && rec.Removed {
		if _, ok := l.schedules[name]; ok {
			delete(l.schedules, name)
			l.log.Info().Str("schedule", name).Msg("schedule removed")
		}
		if t, ok := l.tombstones[name]; !ok || t.version != stat.Version || t.czxid != stat.Czxid {
			l.tombstones[name] = tombstone{version: stat.Version, czxid: stat.Czxid, written: stat.Mtime}
		}
		return nil
	}
	delete(l.tombstones, name)
	var compat error
	if derr == nil {
		spec, compat, err = ReadSpec(rec.Cron, rec.TZ)
		switch {
		case errors.Is(err, ErrUnknownZone):
			// A zone a newer tzdata has (a client's host's, or a newer
			// Go's embedded one): not malformed, and fired by a leader whose
			// tzdata has it; this one leaves it in place, as a newer record.
			delete(l.schedules, name)
			at := znodeAt{version: stat.Version, czxid: stat.Czxid}
			l.newer[name] = at
			l.newerRuns[name] = activeRunsOf(data)
			if l.once("zone", name, at) {
				l.log.Error().Err(err).Str("schedule", name).Msg("schedule in a time zone this host's tzdata lacks: left in place, not fired (update tzdata, or lead from a host that has it)")
			}
			return nil
		case err != nil:
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
	if compat == nil {
		delete(l.compat, name)
	} else if read := rec.Cron + "\x00" + rec.TZ; l.compat[name] != read {
		// Once per spec, not at every read of the record.
		l.compat[name] = read
		l.log.Warn().Str("schedule", name).Str("cron", rec.Cron).AnErr("compat", compat).
			Msg("schedule spec an earlier release wrote, read for compatibility only: fired as that release did; schedule add refuses it now")
	}
	if u, ok := l.unsureFirings[name]; ok {
		delete(l.unsureFirings, name)
		// Only firings raise Fired, and only its term's leader fires: in
		// that term, the count it reached says the lost firing landed. A
		// later term (its session expired meanwhile) counts it only if
		// every term since was this scheduler's and the record is as it
		// wrote it; after another leader's, the record cannot say whose
		// firing it holds, and it is left uncounted.
		landed := stat.Czxid == u.czxid && rec.Fired >= u.fired
		if u.epoch != l.epoch {
			landed = landed && l.ownedSince(u.epoch, l.epoch) && stat.Version == u.version && rec.Fired == u.fired
		}
		if landed {
			l.s.counters.fired.Add(uint64(u.tasks))
		}
	}
	e := &cronEntry{rec: rec, version: stat.Version, czxid: stat.Czxid, spec: spec}
	l.schedules[name] = e
	// What is due fires from fireDue, with the other schedules due then: a
	// takeover finds many at once.
	if plan, _, due := l.plan(e, l.now()); due {
		e.next = plan.Last
	}
	return nil
}

// activeRunsOf is the tasks of a schedule record's active runs, read as
// leniently as can be (a newer format's record): their results are to be
// kept for a leader that can fire it. None when they cannot be read; a
// run naming no task id is left out (it names no result to keep, and a
// path made of it broke the retention pass that reads them).
func activeRunsOf(data []byte) []string {
	var rec struct {
		Active []struct {
			Task string `json:"task"`
		} `json:"active"`
	}
	if json.Unmarshal(data, &rec) != nil {
		return nil
	}
	var out []string
	for _, r := range rec.Active {
		if store.ValidateTaskID(r.Task) == nil {
			out = append(out, r.Task)
		}
	}
	return out
}

// znodeAt tells one write of a znode: its version, and the create it
// belongs to (czxid).
type znodeAt struct {
	version int32
	czxid   int64
}

// tombstone is a removed schedule's record (store.RemoveSchedule) at
// version, written at written: its mtime, by ZooKeeper's clock, the same
// for every term. Its age is counted on that clock too (Store.ZookeeperNow), so
// that no leader's clock, however far off or stepped, shortens its hour;
// counted from a term's first read, the hour began again with every new
// term and every rebuild of the view, and leaders that came and went
// within the hour never deleted a tombstone. retryAt, on the leader's
// clock, paces the next try of a delete that failed.
type tombstone struct {
	version int32
	czxid   int64
	written time.Time
	retryAt time.Time
}

// tombstoneAge is how long the leader keeps a tombstone after it was
// written, by ZooKeeper's clock. Any write prepared from the removed
// record, by a client (pause, resume, trigger) or a leader, fails its
// version check while the tombstone stands; once deleted, the name starts again from version 0,
// and a write read before the removal could match a new record's version.
// An hour makes that need a writer an hour between its read and its write.
// Tests shorten it.
var tombstoneAge = time.Hour

// sweepTombstones deletes the tombstones written tombstoneAge ago or more, at
// most sweepBatch of them a call, each at the version read, in a fenced
// transaction: a deposed leader deleting one that the leader has not yet
// read would let its firing prepared from the old record meet a new one at
// an equal version. A schedule added again meanwhile wrote over the
// tombstone; its delete fails, and the record's watch brings the new
// schedule. A tombstone deleted and created again by something else (by
// hand), which an equal version would not tell, is left to its watch.
func (l *leader) sweepTombstones() error {
	now := l.now()
	if len(l.tombstones) == 0 {
		return nil
	}
	if !now.Before(l.clockReadAt) {
		// ZooKeeper's clock is read at most every clockReadEvery (a
		// write); in between, its reading is moved on by the time passed
		// on the leader's (monotonic) clock, so that a batch of tombstones
		// due together goes a sweep at a time, not one batch a read.
		l.clockReadAt = now.Add(min(clockReadEvery, tombstoneAge/4))
		if err := l.readZookeeperClock(); err != nil {
			return err
		}
	}
	if l.zkClockAt.IsZero() {
		return nil
	}
	zkNow := l.zkClock.Add(now.Sub(l.zkClockAt))
	var due []string
	for name, t := range l.tombstones {
		if zkNow.Sub(t.written) >= tombstoneAge && !now.Before(t.retryAt) {
			due = append(due, name)
			if len(due) == sweepBatch {
				break
			}
		}
	}
	stones := make([]tombstone, len(due))
	for i, name := range due {
		stones[i] = l.tombstones[name]
	}
	errs := make([]error, len(due))
	store.Pipelined(len(due), func(i int) {
		p := l.lay.Schedule(due[i])
		ok, st, err := l.st.Exists(p)
		switch {
		case err != nil:
			errs[i] = err
		case !ok || st.Czxid != stones[i].czxid:
			errs[i] = fmt.Errorf("tombstone %s: %w", p, store.ErrNoNode)
		default:
			errs[i] = l.st.Txn().Fence(l.term.Fence, -1).Delete(p, stones[i].version).Commit()
		}
	})
	for i, err := range errs {
		switch {
		case errors.Is(err, store.ErrFenced):
			return fmt.Errorf("delete tombstone of schedule %s: %w", due[i], err)
		case err == nil || errors.Is(err, store.ErrNoNode) || errors.Is(err, store.ErrBadVersion):
			delete(l.tombstones, due[i]) // gone, or changed: its watch tells
		default:
			l.log.Warn().Err(err).Str("schedule", due[i]).Msg("tombstone not deleted; tried again in a minute")
			t := l.tombstones[due[i]]
			t.retryAt = now.Add(time.Minute)
			l.tombstones[due[i]] = t
		}
	}
	return nil
}

// clockReadEvery bounds how often sweepTombstones reads ZooKeeper's clock
// while tombstones stand (shorter for a tombstoneAge under 4 minutes, as
// tests set): a tombstone goes at most this late.
const clockReadEvery = time.Minute

// sweepBatch bounds the tombstones one sweep deletes, so that an hour after
// a mass removal the loop does not wait for all of them at once.
const sweepBatch = 256

// cronScan is when a pass over every schedule was made, at which cronSeq,
// and what it found.
type cronScan struct {
	seq  uint64
	at   time.Time
	next time.Time
}

// rescanEvery bounds how long a pass over the schedules stands with no
// change counted. nextCron's result does not depend on the time, so for it
// this only bounds the harm of a change missed; prepareBuckets' does (which
// slots are near), and this is how soon it sees a slot come near.
const rescanEvery = time.Second

// stale reports whether the pass must be made again at now.
func (s *cronScan) stale(seq uint64, now time.Time) bool {
	return s.at.IsZero() || s.seq != seq || now.Sub(s.at) >= rescanEvery || now.Before(s.at)
}

// changed counts a change to the schedules in the view: an entry added,
// removed or replaced, its slots planned, its runs read ahead.
func (l *leader) changed() { l.cronSeq++ }

// nextCron is the earliest time a schedule needs the leader (zero: none):
// its next slot, or refreshAhead before it.
func (l *leader) nextCron() time.Time {
	now := l.now()
	if !l.nextScan.stale(l.cronSeq, now) {
		return l.nextScan.next
	}
	var next time.Time
	for _, e := range l.schedules {
		at := e.next
		if !l.refreshing && refreshable(e) {
			at = at.Add(-refreshAhead)
		}
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	l.nextScan = cronScan{seq: l.cronSeq, at: now, next: next}
	return next
}

// refreshAhead is how long before a slot the leader reads the outcomes of
// the schedule's active runs, off its loop, so that the firing reads only
// the runs still active then: 5,000 schedules on one slot, each with a run
// to file, fired in 2.1 – 3.0 s, and in 0.8 – 0.9 s so. 20,000 results take
// a few seconds to read while the cluster is busy; a read not done when the
// slot comes is done again by the firing. Tests shorten it.
var refreshAhead = 10 * time.Second

// refreshable reports whether e's active runs are to be read ahead of its
// next slot. Only concurrency allow's are: forbid and replace act on the
// runs still active when the slot fires, and a run filed ahead could be
// retried (drover retry) before it. Nor are those of a schedule whose slots
// come less than refreshAhead + 5 s apart: its newest run would be read
// before it has ended, and then again.
func refreshable(e *cronEntry) bool {
	return !e.next.IsZero() && len(e.rec.Active) > 0 && !e.refreshed.Equal(e.next) &&
		e.rec.Concurrency == store.ConcurrencyAllow && e.next.Sub(e.rec.LastSlot) >= refreshAhead+5*time.Second
}

// runsRefresh is what refreshRuns read: the records of entries, at
// versions, with the runs that have ended filed.
type runsRefresh struct {
	entries  []*cronEntry
	versions []int32
	recs     []*store.Schedule
	err      error
}

// refreshRuns reads, from a goroutine of the term, the outcomes of the
// active runs of the schedules whose slot is at most refreshAhead away;
// applyRefresh takes them into the view. One read runs at a time.
func (l *leader) refreshRuns(now time.Time) {
	if l.refreshing {
		return
	}
	r := runsRefresh{}
	for _, e := range l.schedules {
		// One already due fires now, reading its runs itself.
		if refreshable(e) && e.next.After(now) && e.next.Sub(now) <= refreshAhead {
			e.refreshed = e.next
			r.entries, r.versions, r.recs = append(r.entries, e), append(r.versions, e.version), append(r.recs, cloneSchedule(e.rec))
		}
	}
	if len(r.entries) == 0 {
		return
	}
	l.changed()
	l.refreshing = true
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		// No look at the view for a run with no result: the firing does
		// that, in the loop.
		r.err = refreshRuns(context.Background(), l.st, nil, l.unreadableResult, r.recs...)
		select {
		case l.refreshes <- r:
		case <-l.done:
		}
	}()
}

// applyRefresh takes what refreshRuns read into the entries still at the
// version it read (neither fired nor read again since), and starts the
// next read.
func (l *leader) applyRefresh(r runsRefresh) {
	l.changed()
	l.refreshing = false
	if r.err != nil {
		// The firing reads them.
		l.log.Debug().Err(r.err).Int("schedules", len(r.entries)).Msg("runs not read ahead")
	} else {
		for i, e := range r.entries {
			if l.schedules[e.rec.Name] == e && e.version == r.versions[i] {
				for _, run := range e.rec.Active {
					if !slices.ContainsFunc(r.recs[i].Active, func(a store.ScheduleRun) bool { return a.Task == run.Task }) {
						e.filedAhead = append(e.filedAhead, run.Task)
					}
				}
				e.rec = r.recs[i]
				if testHookRefreshed != nil {
					testHookRefreshed(e.rec)
				}
			}
		}
	}
	l.refreshRuns(l.now())
}

// plan decides which of e's slots are due at now, and sets e.next to its
// first slot after now (zero when suspended). due is false when none is.
func (l *leader) plan(e *cronEntry, now time.Time) (plan Plan, at time.Time, due bool) {
	l.changed()
	if e.rec.Suspended {
		e.next = time.Time{}
		return Plan{}, now, false
	}
	if !e.held.IsZero() && e.held.Before(now) {
		now = e.held // what came due since is next (e.next is due already)
	}
	e.held = time.Time{}
	plan = PlanSlots(e.spec, e.rec, now)
	e.next = plan.Next
	return plan, now, !plan.Last.IsZero()
}

// fireBatch is how many due schedules fireDue fires together: their active
// runs are read in one pipelined round, and their firings share transactions
// committed pipelined. 10,000 schedules on one slot fired in 1.7 s 256 at a
// time, in 1.2 – 1.5 s 1,024 at a time, and no faster 4,096 at a time.
const fireBatch = 1024

// fireDue fires every schedule whose next slot has come, earliest first.
// Schedules often share their slots (every hour on the hour), and firing them
// one transaction each held the loop for a second per thousand schedules.
func (l *leader) fireDue() error {
	now := l.now()
	l.forgetSlotFill(now)
	var due []*cronEntry
	for _, e := range l.schedules {
		if !e.next.IsZero() && !e.next.After(now) {
			due = append(due, e)
		}
	}
	slices.SortFunc(due, func(a, b *cronEntry) int {
		return cmp.Or(a.next.Compare(b.next), strings.Compare(a.rec.Name, b.rec.Name))
	})
	for len(due) > 0 {
		n := min(len(due), fireBatch)
		if err := l.fireAll(due[:n], now); err != nil {
			return err
		}
		due = due[n:]
	}
	return nil
}

// testHookRefreshed, when set by a test, is given each record applyRefresh
// takes into the view.
var testHookRefreshed func(rec *store.Schedule)

// testHookFire, when set by a test, runs in fireAll between preparing the
// firings and committing them.
var testHookFire func()

// testHookCancelAhead, when set by a test, runs as cancelAhead begins.
var testHookCancelAhead func()

// firing is one schedule's due slots made ready to commit: the record as it
// will be, the slots' tasks, and the runs a replace policy cancels.
type firing struct {
	e       *cronEntry
	plan    Plan
	at      time.Time // when plan was made for: now, or when its slots were held
	now     time.Time
	rec     *store.Schedule
	txn     *store.Txn // its operations, built once (build) and packed into a transaction with others
	tasks   []*store.Task
	slots   []time.Time
	cancels []cancelOp
	// ops and size are what the firing adds to a transaction; cancelBytes
	// is the part of size its cancels take.
	ops, size, cancelBytes int
	// rest is the first due slot left for the next round (zero: none).
	rest time.Time
}

// fireAll fires the slots of entries due at now (fireDue's: a later round
// is not late for having waited for the earlier ones). Each schedule's firing
// is fenced and also advances its last slot, so a slot fires only once,
// whoever leads. Several share a transaction, within MaxBatch operations and
// maxBatchBytes, and the transactions are pipelined. A schedule whose firing
// cannot be written (a record grown too large, a run to cancel that is
// malformed) is logged and left, so it does not hold the others back.
func (l *leader) fireAll(entries []*cronEntry, now time.Time) error {
	var fs []*firing
	var recs []*store.Schedule
	for _, e := range entries {
		if plan, at, due := l.plan(e, now); due {
			f := &firing{e: e, plan: plan, at: at, now: now, rec: cloneSchedule(e.rec)}
			fs, recs = append(fs, f), append(recs, f.rec)
		}
	}
	if err := refreshRuns(context.Background(), l.st, l.knowsTask, l.unreadableResult, recs...); err != nil {
		return err
	}
	ready := fs[:0]
	for _, f := range fs {
		err := l.prepare(f)
		switch {
		case err == nil:
			ready = append(ready, f)
		case errors.Is(err, store.ErrTooLarge) || errors.Is(err, store.ErrMalformed):
			// Due again at every tick: said once for each version of the
			// record (a change to it may let it fire).
			if l.once("unwritable", f.rec.Name, znodeAt{version: f.e.version, czxid: f.e.czxid}) {
				l.s.counters.unwritable.Add(1)
				l.log.Error().Err(err).Str("schedule", f.rec.Name).Int32("version", f.e.version).
					Msg("slot not fired: its firing cannot be written (said once for this version of the record)")
			}
		case changedUnderUs(err): // changed while its runs were cancelled ahead
			if err := l.refire(f.e); err != nil {
				return err
			}
		default:
			return err
		}
	}
	fs = ready
	if testHookFire != nil {
		testHookFire()
	}
	var groups [][]*firing
	for len(fs) > 0 {
		n, ops, size := 1, 1+fs[0].ops, fs[0].size // the fence, and the first
		for ; n < len(fs) && ops+fs[n].ops <= store.MaxBatch && size+fs[n].size <= maxBatchBytes; n++ {
			ops, size = ops+fs[n].ops, size+fs[n].size
		}
		groups, fs = append(groups, fs[:n]), fs[n:]
	}
	errs := make([]error, len(groups))
	store.Pipelined(len(groups), func(i int) { errs[i] = l.commitFirings(groups[i]) })
	for i, g := range groups { // what committed first, whatever failed
		switch {
		case errs[i] == nil:
			for _, f := range g {
				l.applyFiring(f)
			}
		case replyLost(errs[i]):
			for _, f := range g {
				l.noteUnsure(f)
			}
		}
	}
	for i, g := range groups {
		switch err := errs[i]; {
		case err == nil:
		case !changedUnderUs(err):
			return err
		case len(g) == 1:
			if err := l.refire(g[0].e); err != nil {
				return err
			}
		default:
			// One of them changed: fire each alone, so that it does not hold
			// the others back.
			for _, f := range g {
				err := l.commitFirings([]*firing{f})
				switch {
				case err == nil:
					l.applyFiring(f)
				case replyLost(err):
					l.noteUnsure(f) // and the view is rebuilt
				case changedUnderUs(err):
					err = l.refire(f.e)
				}
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// noteUnsure notes firing f, whose transaction's reply was lost: it is
// counted once the rebuilt view reads the record it wrote (applySchedule).
func (l *leader) noteUnsure(f *firing) {
	l.unsureFirings[f.rec.Name] = unsureFiring{czxid: f.e.czxid, version: f.e.version + 1, epoch: l.epoch, fired: f.rec.Fired, tasks: len(f.tasks)}
}

// unsureFiring is a firing whose transaction's reply was lost (the
// connection dropped under it): the record's count of slots fired it would
// have reached, and the tasks it made, to count when the next view reads
// the record. They went uncounted, and
// drover_schedule_slots_fired_total fell behind the records' counts.
type unsureFiring struct {
	czxid   int64
	version int32 // the record's, had it landed
	epoch   int64 // the term that fired it
	fired   int64
	tasks   int
}

// changedUnderUs matches a firing's failure when its schedule was changed
// (paused, edited, removed) or it raced (a run that replace cancels was
// placed or finished meanwhile: its znode is gone).
// A failed fence wraps ErrNoNode too, and ends the term instead.
func changedUnderUs(err error) bool {
	if errors.Is(err, store.ErrFenced) {
		return false
	}
	return errors.Is(err, store.ErrBadVersion) || errors.Is(err, store.ErrNodeExists) || errors.Is(err, store.ErrNoNode)
}

// refire reads a schedule whose firing failed again; what is still due fires
// with the next fireDue. Its watch stands: live when the record did not
// change, its event on the way when it did (a second one would fire with it
// at every change).
func (l *leader) refire(e *cronEntry) error {
	// Read in full, as new: a firing that raced a run's end failed with its
	// record unchanged, and must be planned again.
	delete(l.schedules, e.rec.Name)
	return l.readSchedule(e.rec.Name)
}

// prepare builds f from its schedule's record, whose active runs are fresh.
// A firing of several tasks that outgrows maxBatchBytes (catch-up all of a
// large template: ZooKeeper drops the connection of a request over
// jute.maxbuffer, and the leader would rebuild and fire again, for ever)
// fires its older half, and the rest becomes due again at once.
//
// A replace schedule's firing carries a cancelled copy of its template for
// each active run it replaces (up to store.MaxActiveRuns, which triggers
// can pile up): past maxFiringBytes those runs are cancelled ahead, each
// in a fenced transaction of its own, and the firing, built again, finds
// them ended.
func (l *leader) prepare(f *firing) error {
	fresh := f.rec
	for ahead := 0; ; {
		f.rec = cloneSchedule(fresh)
		f.tasks, f.slots, f.cancels = nil, nil, nil
		if err := l.build(f); err != nil {
			return err
		}
		if f.size > maxFiringBytes && len(f.cancels) > 0 && ahead < 3 {
			// Only for a firing that will fit without them: runs cancelled
			// for a slot that then cannot fire would be replaced by nothing.
			if f.size-f.cancelBytes > maxFiringBytes {
				return fmt.Errorf("schedule %s: a firing of %d bytes besides the runs it replaces: %w", f.rec.Name, f.size-f.cancelBytes, store.ErrTooLarge)
			}
			ahead++ // a run that moved meanwhile is looked up again, a few times
			if err := l.cancelAhead(f); err != nil {
				return err
			}
			continue
		}
		// Only tasks make a firing large: forbid and replace enqueue one
		// whatever the slots, and cutting their slots would only run (and
		// replace) one a round.
		if f.size <= maxBatchBytes || len(f.tasks) < 2 {
			if f.size > maxFiringBytes {
				return fmt.Errorf("schedule %s: a firing of %d bytes: %w", f.rec.Name, f.size, store.ErrTooLarge)
			}
			return nil
		}
		f.rest = f.slots[len(f.slots)/2]
		k := slices.Index(f.plan.Fire, f.rest)
		f.plan.Fire, f.plan.Last = f.plan.Fire[:k], f.plan.Fire[k-1]
	}
}

// build makes f's record, tasks and data.
func (l *leader) build(f *firing) error {
	rec, now := f.rec, f.now
	for _, slot := range f.plan.Missed {
		rec.Record(store.ScheduleRun{Slot: slot.UTC(), Reason: "missed"})
	}
	fire := f.plan.Fire
	if rec.Concurrency == store.ConcurrencyReplace && len(fire) > 1 {
		// Each would replace the one before it before it started: only the
		// newest runs, the others filed as skipped (none is queued).
		for _, slot := range fire[:len(fire)-1] {
			rec.Record(store.ScheduleRun{Slot: slot.UTC(), Reason: "skipped: replaced by a newer slot due with it"})
		}
		fire = fire[len(fire)-1:]
	}
	for _, slot := range fire {
		active := len(rec.Active) > 0
		switch {
		case active && rec.Concurrency == store.ConcurrencyForbid:
			rec.Record(store.ScheduleRun{Slot: slot.UTC(), Reason: "skipped: previous run still active"})
			l.log.Info().Str("schedule", rec.Name).Time("slot", slot).Msg("slot skipped: previous run still active")
			continue
		case active && rec.Concurrency == store.ConcurrencyReplace:
			for _, r := range rec.Active {
				op, ok, done, err := l.cancelOp(r.Task, now)
				switch {
				case err != nil:
					return err
				case ok:
					f.cancels = append(f.cancels, op)
					r.State, r.Reason = store.StateCancelled, store.ReasonReplaced
				case done != nil:
					endedOf(done).file(&r) // it ended meanwhile
				default:
					r.Reason = "gone: no result left (pruned, or moved to deadletter) and no record"
				}
				rec.Record(r)
			}
			rec.Active = nil
		}
		t := slotTask(rec, slot, now, l.slotID(rec, slot))
		f.tasks, f.slots = append(f.tasks, t), append(f.slots, slot)
		rec.Active = append(rec.Active, store.ScheduleRun{Slot: slot.UTC(), Task: t.ID})
		rec.Fired++
	}
	rec.TrimActive()
	rec.LastSlot = f.plan.Last.UTC()
	ops := l.st.Txn()
	for _, c := range f.cancels {
		ops.Delete(c.path, c.version)
		if err := ops.Finish(c.done.Clone()); err != nil {
			return err
		}
	}
	f.cancelBytes = ops.Size()
	for _, t := range f.tasks {
		if err := ops.Enqueue(t.Clone()); err != nil {
			return err
		}
	}
	// The record is written as its reader keeps it (its oldest runs make
	// room: store.EncodeFit). A record its reader keeps weighs what a
	// firing of one task writes but for store.FiringSlack, which
	// maxFiringBytes leaves room for. Runs it cancels go ahead if need be
	// (prepare); a firing of several tasks is cut in parts (prepare).
	p := l.lay.Schedule(rec.Name)
	data, err := rec.EncodeFit()
	if err != nil {
		return fmt.Errorf("schedule %s: %w", rec.Name, err)
	}
	txn := l.st.Txn()
	txn.Set(p, data, f.e.version)
	txn.Append(ops)
	f.txn, f.ops, f.size = txn, txn.Len(), txn.Size()
	return nil
}

// commitFirings commits fs in one fenced transaction. It only reads the
// view: fireAll runs several at once, and applies each that committed.
func (l *leader) commitFirings(fs []*firing) error {
	var ids []string
	for _, f := range fs {
		for _, t := range f.tasks {
			ids = append(ids, t.ID)
		}
		for _, c := range f.cancels {
			ids = append(ids, c.done.ID)
		}
	}
	err := l.st.CommitCreatingBuckets(ids, func(txn *store.Txn) error {
		txn.Fence(l.term.Fence, -1)
		for _, f := range fs {
			txn.Append(f.txn)
		}
		return nil
	})
	if err != nil {
		if len(fs) == 1 {
			return fmt.Errorf("fire schedule %s: %w", fs[0].rec.Name, err)
		}
		return fmt.Errorf("fire %d schedules: %w", len(fs), err)
	}
	return nil
}

// applyFiring applies a committed firing to the view.
func (l *leader) applyFiring(f *firing) {
	l.changed()
	e, rec := f.e, f.rec
	e.rec, e.version = rec, e.version+1
	e.filedAhead = nil // written: the record files them
	if !f.rest.IsZero() {
		e.next, e.held = f.rest, f.at
	}
	for _, c := range f.cancels {
		if q := l.lookup(c.done.ID); q != nil {
			l.unqueue(q)
		}
	}
	l.s.counters.fired.Add(uint64(len(f.tasks)))
	log := l.log.With().Str("schedule", rec.Name).Logger()
	now := l.now() // committed: a round of many schedules takes a while
	for i, t := range f.tasks {
		l.addQueued(t, store.EnqueuedVersionOf(t)) // place it now, without waiting for the queue watch
		log.Info().Str("task_id", t.ID).Time("slot", f.slots[i]).Dur("delay_ms", now.Sub(f.slots[i])).Msg("slot fired")
	}
	if f.plan.MissedCount > 0 {
		log.Warn().Int("missed", f.plan.MissedCount).Str("catchup", rec.Catchup).Msg("slots missed")
	}
}

// slotTask is the task of one slot: the schedule's template under id,
// bound to start by the slot plus the schedule's starting deadline, if it
// has one (store.Task.StartBy: the leader ends a first attempt still queued
// then).
func slotTask(rec *store.Schedule, slot, now time.Time, id string) *store.Task {
	t := rec.Task.Clone()
	t.ID = id
	if t.Name == "" {
		t.Name = rec.Name
	}
	if t.Env == nil {
		t.Env = map[string]string{}
	}
	t.Env["DROVER_SCHEDULE"] = rec.Name
	t.Env["DROVER_SLOT"] = strconv.FormatInt(slot.Unix(), 10)
	t.SubmittedAt, t.Attempt, t.State, t.Gen = now.UTC(), 1, store.StateQueued, 0
	t.StartBy = time.Time{}
	if d := rec.StartingDeadline.Duration(); d > 0 {
		t.StartBy = slot.Add(d).UTC()
	}
	return t
}

// slotsPerBucket is store.SlotTasksPerBucket; tests lower it.
var slotsPerBucket = store.SlotTasksPerBucket

// slotCount is what a bucket holds of the term's slot tasks, and when one
// last went into it.
type slotCount struct {
	n    int
	used time.Time
}

// slotID names the task of rec's slot: its deterministic id in the first
// bucket from the slot's own on that has room for it. A bucket not counted
// yet in this term (or not for a minute: forgetSlotFill) starts from what
// the view has queued in it, an earlier term's slot tasks among them. (A
// firing cut in parts, or failed, counts its tasks again: that only spills
// sooner.)
func (l *leader) slotID(rec *store.Schedule, slot time.Time) string {
	key := rec.Name + "@" + strconv.FormatInt(rec.CreatedAt.UnixNano(), 10)
	now := l.now()
	for spill := 0; ; spill++ {
		id := store.SlotTaskID(key, slot, spill)
		b1, b2 := store.Bucket(id)
		c, ok := l.slotFill[b1+b2]
		if !ok {
			c.n = len(l.byBucket[b1+b2])
		}
		c.used = now
		if c.n < slotsPerBucket {
			c.n++
			l.slotFill[b1+b2] = c
			return id
		}
		l.slotFill[b1+b2] = c
	}
}

// forgetSlotFill drops the counts of buckets no slot task has gone into for
// a minute: a slot's firings come together, and a firing cut in parts goes
// on in the next rounds.
func (l *leader) forgetSlotFill(now time.Time) {
	for b, c := range l.slotFill {
		if now.Sub(c.used) > time.Minute {
			delete(l.slotFill, b)
		}
	}
}

// knowsTask reports whether the view has task id queued or placed, or
// cannot tell yet: a worker whose directory it has not listed may hold it.
// A takeover can fire due slots before every worker's listing is applied,
// and each run it did not know would cost a look at every worker's
// directory; such a run is kept active, and looked at on the next firing
// instead.
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

// RefreshRuns files each active run of recs that has ended into its
// history, reading results by id (no listing), pipelined (up to 64 in
// flight): slots fire after this, an allow schedule whose runs outlast its
// period has many active, and many schedules often fire together. With known
// (the leader's view), a run with no result that known does not hold is
// looked for everywhere, and dropped when it is nowhere: its result was
// pruned (or its record moved aside) before its outcome was seen, and a
// forbid policy would otherwise skip every later slot for it. A result that
// does not decode, or holds another task's record, ends its run as "result
// unreadable". A run the leader ended at its starting deadline, never
// placed, is filed with the skipped runs as missed (missedStartBy). It
// stops, ctx.Err(), between chunks of reads once ctx is done.
func RefreshRuns(ctx context.Context, st *store.Store, known func(id string) bool, recs ...*store.Schedule) error {
	return refreshRuns(ctx, st, known, nil, recs...)
}

// ResultUnreadable is the history's reason for a run whose result did not
// decode (a leader moves it to deadletter).
const ResultUnreadable = "result unreadable"

// missedStartBy is the history's reason for a run whose task the leader
// ended at its starting deadline, never placed.
const missedStartBy = "missed: " + store.NotStartedInTime

// unreadableFunc is told of the result of rec's run that did not decode
// (rd, for derr), before the run is recorded as ended.
type unreadableFunc func(rec *store.Schedule, run store.ScheduleRun, rd store.Read, derr error)

// refreshRuns is RefreshRuns, telling unreadable (when set) of each result
// that does not decode.
func refreshRuns(ctx context.Context, st *store.Store, known func(id string) bool, unreadable unreadableFunc, recs ...*store.Schedule) error {
	var paths, ids []string
	for _, rec := range recs {
		for _, r := range rec.Active {
			paths, ids = append(paths, st.Layout().Result(r.Task)), append(ids, r.Task)
		}
	}
	// Only each result's state is kept, a chunk of results read at a time:
	// a thousand schedules with a hundred active runs each would otherwise
	// hold a hundred thousand results, with their output, at once.
	type outcome struct {
		end ended
		err error // of the read, or ErrMalformed: unreadable
		// bad is what was read of an unreadable result, and why
		bad  store.Read
		derr error
	}
	outcomes := make([]outcome, 0, len(paths))
	for chunk := range slices.Chunk(paths, refreshChunk) {
		if err := ctx.Err(); err != nil {
			return err // given up on: a reader's read slot is let go
		}
		for _, r := range st.GetMany(chunk) {
			o := outcome{err: r.Err}
			if r.Err == nil {
				// Of the run's task, not another's (copied there by hand),
				// whose state would be taken for the run's outcome.
				if t, err := store.DecodeResultOf(ids[len(outcomes)], r.Data); err != nil {
					o.err, o.derr = store.ErrMalformed, err
					if unreadable != nil {
						o.bad = r
					}
				} else {
					o.end = endedOf(t)
				}
			}
			outcomes = append(outcomes, o)
		}
	}
	for _, rec := range recs {
		var still []store.ScheduleRun
		for _, r := range rec.Active {
			o := outcomes[0]
			outcomes = outcomes[1:]
			err := o.err
			if errors.Is(err, store.ErrNoNode) {
				if known != nil && !known(r.Task) {
					_, _, lerr := st.LookupTask(r.Task)
					if errors.Is(lerr, store.ErrUnknownTask) {
						r.Reason = "gone: no result left (pruned, or moved to deadletter) and no record"
						rec.Record(r)
						continue
					}
				}
				still = append(still, r)
				continue
			}
			switch {
			case errors.Is(err, store.ErrMalformed):
				r.Reason = ResultUnreadable
				if unreadable != nil {
					unreadable(rec, r, o.bad, o.derr)
				}
			case nodeFault(err):
				// The result's own fault (an ACL that refuses reads, set by
				// hand): the run stays active, and the others are filed; it
				// failed every firing, and the schedules listing, whole.
				still = append(still, r)
				continue
			case err != nil:
				return err
			default:
				o.end.file(&r)
			}
			rec.Record(r)
		}
		rec.Active = still
	}
	return nil
}

// unreadableResult moves aside the result of rec's run that does not
// decode (rd, for derr), logged, and counted with the other malformed data
// (drover_deadletter_records); the run ends as "result unreadable". Only
// the leader does: RefreshRuns also serves read-only commands.
func (l *leader) unreadableResult(rec *store.Schedule, run store.ScheduleRun, rd store.Read, derr error) {
	l.log.Warn().Err(derr).Str("task_id", run.Task).Str("schedule", rec.Name).
		Msg("result of a schedule's run unreadable: moving it aside")
	err := l.st.Quarantine(rd.Path, rd.Data, rd.Stat.Version, fmt.Errorf("result of schedule %s's run: %w", rec.Name, derr))
	if err != nil && !errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrBadVersion) {
		// The run has ended all the same: the firing goes on.
		l.log.Warn().Err(err).Str("task_id", run.Task).Str("schedule", rec.Name).
			Msg("cannot move aside the unreadable result of a schedule's run")
	}
}

// refreshChunk is how many results RefreshRuns reads before it decodes them
// and lets their data go; tests lower it.
var refreshChunk = 1024

// maxFiringBytes bounds one firing's transaction: ZooKeeper drops the
// connection of a request over jute.maxbuffer (1 MiB by default), and with
// it every request in flight; the leader then rebuilt its view and fired
// again, for ever, while every other schedule missed its slots. A firing of
// one task of a record its reader keeps fits it (store.FiringSlack).
const maxFiringBytes = store.MaxFiringBytes + store.FiringSlack

// cancelAhead cancels a replace firing's runs in transactions of their own,
// each also checking that the schedule is as the firing read it: edited,
// paused or removed meanwhile, its slot may not fire, and its runs stay. A
// run that changed meanwhile (placed, or ended) is left: the firing, built
// again, looks it up anew.
func (l *leader) cancelAhead(f *firing) error {
	if testHookCancelAhead != nil {
		testHookCancelAhead()
	}
	for _, c := range f.cancels {
		err := l.st.CommitCreatingBuckets([]string{c.done.ID}, func(txn *store.Txn) error {
			txn.Fence(l.term.Fence, -1)
			txn.Check(l.lay.Schedule(f.rec.Name), f.e.version)
			txn.Delete(c.path, c.version)
			return txn.Finish(c.done.Clone())
		})
		switch {
		case err == nil:
			if q := l.lookup(c.done.ID); q != nil {
				l.unqueue(q)
			}
			l.log.Info().Str("task_id", c.done.ID).Msg("run cancelled ahead of the slot replacing it")
		case errors.Is(err, store.ErrBadVersion) && store.FailedOp(err) == 1:
			// The schedule's check (after the fence): it changed, and its
			// firing is planned again from what it is now.
			return fmt.Errorf("schedule %s changed: %w", f.rec.Name, err)
		case changedUnderUs(err):
		default:
			return fmt.Errorf("cancel %s ahead of its replacement: %w", c.done.ID, err)
		}
	}
	return nil
}

// cancelOp is the withdrawal of a run that a replace policy cancels.
type cancelOp struct {
	path    string
	version int32
	done    *store.Task
}

// cancelOp finds a run still queued or placed and prepares its cancellation
// (ok). A run that ended meanwhile gives its record (ended): on its own, or
// cancelled ahead of this firing (cancelAhead); one found nowhere, neither.
func (l *leader) cancelOp(id string, now time.Time) (op cancelOp, ok bool, ended *store.Task, err error) {
	t, loc, err := l.st.LookupTask(id)
	if errors.Is(err, store.ErrUnknownTask) {
		return cancelOp{}, false, nil, nil
	}
	if err != nil {
		return cancelOp{}, false, nil, err
	}
	if t.State.Terminal() {
		return cancelOp{}, false, t, nil
	}
	done := t.Clone()
	done.State, done.FinishedAt, done.Error = store.StateCancelled, now.UTC(), store.ReasonReplaced
	done.NotBefore = time.Time{} // a retry's backoff: none is to come
	minus1 := -1
	done.ExitCode = &minus1
	if t.State == store.StateAssigned || t.State == store.StateRunning {
		done.AddAttempt(store.Attempt{N: t.Attempt, Worker: t.Worker, StartedAt: t.StartedAt,
			FinishedAt: now.UTC(), ExitCode: -1, Error: "cancelled: replaced", Cancelled: true, Unstarted: t.State == store.StateAssigned})
	}
	return cancelOp{path: loc.Path, version: loc.Stat.Version, done: done}, true, nil, nil
}

// ended is what the history files of a run whose task has ended.
type ended struct {
	state store.State
	// missed: the leader ended the run, queued at its starting deadline
	// (store.NotStartedInTime); it never ran
	missed bool
	// replaced: a replace slot cancelled it (store.Task.Replaced)
	replaced bool
}

func endedOf(t *store.Task) ended {
	return ended{state: t.State, missed: t.State == store.StateCancelled && t.Error == store.NotStartedInTime, replaced: t.Replaced()}
}

// file sets run r's outcome: a missed run is filed with the slots missed,
// not as a failure (the slot did not run; its task's result says
// cancelled), and a replaced one with its state and note, which
// Schedule.Record files with them too.
func (e ended) file(r *store.ScheduleRun) {
	if e.missed {
		r.Reason = missedStartBy
		return
	}
	r.State = e.state
	if e.replaced {
		r.Reason = store.ReasonReplaced
	}
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
