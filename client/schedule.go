package client

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// ErrNoSchedule means no schedule has that name.
var ErrNoSchedule = store.ErrNoSchedule

// ErrMovedAside is RemoveSchedule's error for a schedule whose record did
// not decode: it was moved to deadletter, and the schedule is gone all the
// same (the name is free).
var ErrMovedAside = errors.New("record moved to deadletter (drover deadletter ls)")

// ErrScheduleExists means a schedule of that name exists already
// (AddSchedule).
var ErrScheduleExists = store.ErrScheduleExists

// ScheduleSpec is what `drover schedule add` creates.
type ScheduleSpec struct {
	Name             string
	Cron             string
	TZ               string
	Catchup          string // none (default) | last | all
	StartingDeadline time.Duration
	Concurrency      string // allow (default) | forbid | replace
	Suspend          bool
	KeepSucceeded    int // default 10
	KeepFailed       int // default 10
	Task             TaskSpec
}

// ScheduleInfo is a schedule with its next fire time (zero when suspended).
type ScheduleInfo struct {
	*store.Schedule
	Next time.Time `json:"next,omitzero"`
}

// Record validates spec and returns the schedule record it describes.
func (s ScheduleSpec) Record(now time.Time) (*store.Schedule, error) {
	if err := store.ValidateNodeName(s.Name); err != nil {
		return nil, fmt.Errorf("schedule name: %w", err)
	}
	if _, err := scheduler.ParseSpec(s.Cron, s.TZ); err != nil {
		return nil, err
	}
	// Sunday as 7, as crontab(5) allows, is stored as 0: leaders of
	// earlier releases refuse 7.
	s.Cron = scheduler.SundayAsZero(s.Cron)
	switch s.Catchup {
	case "":
		s.Catchup = store.CatchupNone
	case store.CatchupNone, store.CatchupLast, store.CatchupAll:
	default:
		return nil, fmt.Errorf("catch-up %q: want none, last or all", s.Catchup)
	}
	switch s.Concurrency {
	case "":
		s.Concurrency = store.ConcurrencyAllow
	case store.ConcurrencyAllow, store.ConcurrencyForbid, store.ConcurrencyReplace:
	default:
		return nil, fmt.Errorf("concurrency %q: want allow, forbid or replace", s.Concurrency)
	}
	if s.StartingDeadline < 0 {
		return nil, fmt.Errorf("starting deadline %v: must not be negative", s.StartingDeadline)
	}
	if s.StartingDeadline > 0 && s.StartingDeadline < time.Millisecond {
		// Kept in milliseconds, as the task's timeout: refused as it is.
		return nil, fmt.Errorf("starting deadline %v: must be at least 1ms (0: no limit)", s.StartingDeadline)
	}
	if s.KeepSucceeded == 0 {
		s.KeepSucceeded = 10
	}
	if s.KeepFailed == 0 {
		s.KeepFailed = 10
	}
	if s.KeepSucceeded < 0 || s.KeepFailed < 0 || s.KeepSucceeded > 1000 || s.KeepFailed > 1000 {
		return nil, errors.New("history limits: want 1..1000")
	}
	if s.Task.Key != "" {
		return nil, errors.New("a schedule's task cannot carry an idempotency key: each slot has its own id")
	}
	if !s.Task.At.IsZero() || s.Task.In != 0 {
		return nil, errors.New("a schedule's task cannot carry a start time (at, in): its slots say when it runs")
	}
	if s.Task.StartingDeadline != 0 {
		return nil, errors.New("a schedule's task cannot carry a starting deadline of its own: give the schedule's (StartingDeadline, --starting-deadline)")
	}
	if len(s.Task.After) > 0 || len(s.Task.AfterKey) > 0 {
		return nil, errors.New("a schedule's task cannot wait for other tasks (after): each slot's run starts on its own")
	}
	if s.Task.Name == "" {
		s.Task.Name = s.Name
	}
	t, err := s.Task.Task(now)
	if err != nil {
		return nil, err
	}
	t.ID, t.State, t.Attempt, t.SubmittedAt = "", "", 0, time.Time{}
	rec := &store.Schedule{
		Name: s.Name, Cron: s.Cron, TZ: s.TZ, Catchup: s.Catchup, StartingDeadline: store.MillisOf(s.StartingDeadline),
		Concurrency: s.Concurrency, Suspended: s.Suspend, Task: *t, CreatedAt: now.UTC(),
		KeepSucceeded: s.KeepSucceeded, KeepFailed: s.KeepFailed,
	}
	rec.Task.V = store.FormatVersion // stored stamped, as the records made from it are
	if err := rec.CheckTemplate(); err != nil {
		return nil, err
	}
	if _, err := cloneRec(rec).EncodeFit(); err != nil {
		return nil, err
	}
	return rec, nil
}

// cloneRec is a copy of r that EncodeFit can stamp and trim: it reslices
// the history lists, and leaves r's be.
func cloneRec(r *store.Schedule) *store.Schedule { c := *r; return &c }

// AddSchedule creates a schedule; the leader fires it from its next slot on.
// A name taken already fails with ErrScheduleExists. An add whose reply was
// lost is looked for once the store is back: found (by its creation time)
// it succeeds; the name still free, it is sent again; the look impossible,
// it fails with ErrUnconfirmed. ctx ended before the add is sent (its read
// of ZooKeeper's clock included), it returns ctx's error, having added
// nothing; once sent, it waits for the reply (bounded by the session), and
// for the look for a lost one, whatever ctx says.
func (c *Client) AddSchedule(ctx context.Context, spec ScheduleSpec) (*store.Schedule, error) {
	rec, err := spec.Record(c.now())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	// Created when ZooKeeper says, not this host: the leader's catch-up
	// counts the slots from then.
	at, err := withCtx(ctx, c.zkNow)
	if err != nil {
		return nil, fmt.Errorf("add schedule %s: %w", spec.Name, err)
	}
	rec.CreatedAt = at.UTC()
	return c.addRecord(ctx, rec)
}

// addRecord is AddSchedule of rec, a record a spec made, its creation
// time set.
func (c *Client) addRecord(ctx context.Context, rec *store.Schedule) (*store.Schedule, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // nothing sent
	}
	err := c.st.AddSchedule(rec)
	for try := 0; err != nil && lostReply(err) && try < maxSubmitTries && c.reconnected(context.Background()); try++ {
		// The reply was lost: applied, the record is there as written
		// (found, it is ours by its creation time, which ZooKeeper gave);
		// not applied, the name is free, and the add is sent again.
		found, _, rerr := c.readSchedule(rec.Name)
		switch {
		case rerr == nil && found.CreatedAt.Equal(rec.CreatedAt) && found.Cron == rec.Cron && found.TZ == rec.TZ:
			return found, nil
		case errors.Is(rerr, ErrNoSchedule):
			err = c.st.AddSchedule(rec)
		case rerr != nil:
			err = fmt.Errorf("%w: the reply was lost, and the look for the schedule failed: %w", ErrUnconfirmed, rerr)
		default:
			err = fmt.Errorf("schedule %s: %w", rec.Name, store.ErrScheduleExists) // another's, added meanwhile
		}
	}
	if err != nil {
		if errors.Is(err, store.ErrTooLarge) {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return nil, unconfirmed(err)
	}
	return rec, nil
}

// decodeScheduleAt decodes the record of schedule name as the leader reads
// it: one under another schedule's name, or whose cron does not parse
// (scheduler.ReadSpec: specs earlier releases wrote parse), is malformed
// too, and the leader moves it to deadletter. A listing skips it; a
// command on it must not show or change it as a schedule.
func decodeScheduleAt(name string, data []byte) (*store.Schedule, error) {
	rec, err := store.DecodeSchedule(data)
	if err != nil {
		return nil, err
	}
	if rec.Name != name {
		return nil, fmt.Errorf("%w: names itself %q", store.ErrMalformed, rec.Name)
	}
	if !rec.Removed {
		// A zone this host's tzdata lacks is no fault of the record (a
		// leader whose tzdata has it fires it): it can be paused, resumed,
		// triggered and listed all the same, its next slot unknown here.
		if _, _, err := scheduler.ReadSpec(rec.Cron, rec.TZ); err != nil && !errors.Is(err, scheduler.ErrUnknownZone) {
			return nil, fmt.Errorf("%w: %w", store.ErrMalformed, err)
		}
	}
	return rec, nil
}

func (c *Client) readSchedule(name string) (*store.Schedule, int32, error) {
	if err := store.ValidateNodeName(name); err != nil {
		return nil, 0, fmt.Errorf("%w: schedule name: %w", ErrInvalid, err)
	}
	p := c.st.Layout().Schedule(name)
	for synced := false; ; synced = true {
		got, err := c.getSchedule(name)
		if err != nil {
			return nil, 0, err
		}
		if got.rec != nil {
			return got.rec, got.version, nil
		}
		if synced {
			return nil, 0, fmt.Errorf("schedule %s: %w", name, ErrNoSchedule)
		}
		// Not there, or removed: the server this session reads may be
		// behind another client's add (an open store's session, a
		// server with local sessions). Catch it up, and read again.
		if err := c.st.Sync(p); err != nil {
			return nil, 0, err
		}
	}
}

// getSchedule reads the record of schedule name once, from the server
// this session reads: rec nil when there is none, or a tombstone.
func (c *Client) getSchedule(name string) (readRecord, error) {
	data, stat, err := c.st.Get(c.st.Layout().Schedule(name))
	if errors.Is(err, store.ErrNoNode) {
		return readRecord{}, nil
	}
	if err != nil {
		return readRecord{}, err
	}
	rec, err := decodeScheduleAt(name, data)
	if err != nil {
		return readRecord{}, fmt.Errorf("schedule %s: %w", name, err)
	}
	if rec.Removed {
		return readRecord{}, nil
	}
	return readRecord{rec, stat.Version}, nil
}

func (c *Client) info(rec *store.Schedule) ScheduleInfo {
	info := ScheduleInfo{Schedule: rec}
	if rec.Suspended {
		return info
	}
	if s, _, err := scheduler.ReadSpec(rec.Cron, rec.TZ); err == nil {
		info.Next = scheduler.NextSlot(s, rec, c.now()).UTC()
	}
	return info
}

// Schedule returns one schedule with its history brought up to date (read
// only: runs that ended since the leader last looked are shown as ended).
// It ends with ctx's error once ctx is done, its reads left to end in the
// background (on a silent link they wait for the connection to be given up).
func (c *Client) Schedule(ctx context.Context, name string) (ScheduleInfo, error) {
	return withCtx(ctx, func() (ScheduleInfo, error) { return c.schedule(ctx, name) })
}

func (c *Client) schedule(ctx context.Context, name string) (ScheduleInfo, error) {
	rec, _, err := c.readSchedule(name)
	if err != nil {
		return ScheduleInfo{}, err
	}
	if err := scheduler.RefreshRuns(ctx, c.st, nil, rec); err != nil {
		return ScheduleInfo{}, err
	}
	return c.info(rec), nil
}

// Schedules lists every schedule by name, their histories brought up to
// date as Schedule does (one pipelined read per active run): a run that
// ended since the last firing was listed as active. It ends with ctx's
// error once ctx is done, as ListSchedules does.
func (c *Client) Schedules(ctx context.Context) ([]ScheduleInfo, error) {
	list, _, err := c.ListSchedules(ctx)
	return list, err
}

// ListSchedules is Schedules with how many records it skipped as
// unreadable (malformed, or of a newer Drover). Like drover ls it changes
// nothing; a leader moves the malformed ones to deadletter, and leaves a
// newer Drover's.
func (c *Client) ListSchedules(ctx context.Context) (list []ScheduleInfo, skipped int, err error) {
	list, _, skipped, err = c.SchedulesFirst(ctx, 0)
	return list, skipped, err
}

// A bounded listing of schedules reads at most schedulesScanPer records per
// schedule asked for, and never fewer than schedulesMinScan: tombstones (a
// mass `schedule rm` leaves them for an hour) are read and skipped.
const (
	schedulesScanPer = 10
	schedulesMinScan = 1000
)

// SchedulesFirst lists the first limit schedules by name (limit < 1: all),
// their histories brought up to date as Schedule does: the leader files a
// run that ended only at the schedule's next firing, so a daily schedule's
// run showed as active for a day.
// It reads records 64 or limit at a time, pipelined, until it has limit
// schedules and has seen whether one more follows; more reports that one
// does, or that its read budget ran out first; skipped counts the records
// read that are malformed (left for a leader to move aside) or of a newer
// Drover (left for it). It stops when
// ctx ends. A dashboard polling a cluster of 20,000 schedules every two
// seconds read every record each time.
func (c *Client) SchedulesFirst(ctx context.Context, limit int) (list []ScheduleInfo, more bool, skipped int, err error) {
	return c.schedulesFirst(ctx, limit, false)
}

// SchedulesPage is SchedulesFirst without the histories (succeeded,
// failed, skipped: up to 3,000 runs a schedule), let go as each record is
// read, its active runs brought up to date: a page of a dashboard's
// polls, which held every record of a chunk whole (a 97 KB answer held 90
// MB).
func (c *Client) SchedulesPage(ctx context.Context, limit int) (list []ScheduleInfo, more bool, skipped int, err error) {
	return c.schedulesFirst(ctx, limit, true)
}

func (c *Client) schedulesFirst(ctx context.Context, limit int, slim bool) (list []ScheduleInfo, more bool, skipped int, err error) {
	// Ended with ctx, as ListTasks is: its reads take no context.
	type page struct {
		list    []ScheduleInfo
		more    bool
		skipped int
	}
	p, err := withCtx(ctx, func() (page, error) {
		list, more, skipped, err := c.readSchedules(ctx, limit, slim)
		return page{list, more, skipped}, err
	})
	return p.list, p.more, p.skipped, err
}

func (c *Client) readSchedules(ctx context.Context, limit int, slim bool) (list []ScheduleInfo, more bool, skipped int, err error) {
	names, err := c.st.Children(c.st.Layout().Schedules())
	if err != nil {
		return nil, false, 0, err
	}
	sort.Strings(names)
	chunk, budget := len(names), len(names)
	if limit > 0 {
		chunk, budget = max(limit, 64), max(schedulesScanPer*limit, schedulesMinScan)
	}
	out := []ScheduleInfo{}
	for from, to := 0, 0; from < len(names); from = to {
		if from >= budget {
			return out, true, skipped, c.refresh(ctx, out) // more may be left
		}
		if err := ctx.Err(); err != nil {
			return nil, false, 0, err
		}
		to = min(from+chunk, len(names), budget) // the budget bounds the reads, not a chunk's start
		paths := make([]string, to-from)
		for i := range paths {
			paths[i] = c.st.Layout().Schedule(names[from+i])
		}
		for _, r := range c.st.GetMany(paths) {
			if errors.Is(r.Err, store.ErrNoNode) {
				continue // removed meanwhile
			}
			if errors.Is(r.Err, store.ErrNoAuth) {
				// Added by a client not given the read-only identity
				// (DROVER_ZK_AUTH_READONLY): one schedule a viewer may not
				// read, not a listing it may not make.
				skipped++
				continue
			}
			if r.Err != nil {
				return nil, false, 0, fmt.Errorf("list schedules: %w", r.Err)
			}
			rec, err := decodeScheduleAt(path.Base(r.Path), r.Data)
			if err != nil {
				skipped++ // unreadable, as the leader finds it too: it moves a malformed one aside
				continue
			}
			if rec.Removed {
				continue
			}
			if slim {
				rec.Succeeded, rec.Failed, rec.Skipped = nil, nil, nil
			}
			if limit > 0 && len(out) == limit {
				return out, true, skipped, c.refresh(ctx, out) // one more follows
			}
			out = append(out, c.info(rec))
		}
	}
	return out, false, skipped, c.refresh(ctx, out)
}

// refresh brings list's histories up to date (scheduler.RefreshRuns).
func (c *Client) refresh(ctx context.Context, list []ScheduleInfo) error {
	recs := make([]*store.Schedule, len(list))
	for i, s := range list {
		recs[i] = s.Schedule
	}
	if err := scheduler.RefreshRuns(ctx, c.st, nil, recs...); err != nil {
		return fmt.Errorf("list schedules: %w", err)
	}
	return nil
}

// moveScheduleAside moves the record of schedule name to deadletter if it
// still does not decode: ErrMovedAside, or nil when it went meanwhile.
func (c *Client) moveScheduleAside(ctx context.Context, name string) error {
	p := c.st.Layout().Schedule(name)
	data, st, err := c.st.Get(p)
	if errors.Is(err, store.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	_, derr := decodeScheduleAt(name, data)
	if err := ctx.Err(); err != nil {
		return err // nothing sent
	}
	if derr == nil || !errors.Is(derr, store.ErrMalformed) {
		return c.RemoveSchedule(ctx, name) // written anew meanwhile
	}
	if err := c.st.Quarantine(p, data, st.Version, fmt.Errorf("schedule %s: %w", name, derr)); err != nil && !errors.Is(err, store.ErrNoNode) {
		return fmt.Errorf("schedule %s: %w (not moved aside: %w)", name, derr, err)
	}
	return fmt.Errorf("schedule %s: %w: %w", name, derr, ErrMovedAside)
}

// RemoveSchedule removes a schedule; runs already fired go on. A removal
// whose reply was lost is looked for once the store is back, as an add is:
// the schedule gone, it succeeds; still there, it is sent again. ctx ended
// before the removal is sent (its read of the schedule included), it
// returns ctx's error, having removed nothing; once sent, it waits for the
// reply (bounded by the session), and for the look for a lost one,
// whatever ctx says.
func (c *Client) RemoveSchedule(ctx context.Context, name string) error {
	if err := store.ValidateNodeName(name); err != nil {
		return fmt.Errorf("%w: schedule name: %w", ErrInvalid, err)
	}
	// Found first: a reply lost of the removal's own read (nothing
	// written) must not pass for a removal applied of no schedule. A read
	// is asked again once the store is back.
	_, err := withCtx(ctx, func() (struct{}, error) {
		_, _, err := c.readSchedule(name)
		for try := 0; err != nil && lostReply(err) && try < maxSubmitTries && c.reconnected(ctx); try++ {
			_, _, err = c.readSchedule(name)
		}
		return struct{}{}, err
	})
	if errors.Is(err, store.ErrMalformed) {
		// No leader moved it aside (none runs): get, pause and trigger
		// fail on it, and add finds the name taken. rm moves it.
		return c.moveScheduleAside(ctx, name)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // nothing sent
	}
	err = c.st.RemoveSchedule(name)
	for try := 0; err != nil && lostReply(err) && try < maxSubmitTries && c.reconnected(context.Background()); try++ {
		// The reply was lost: the schedule, there before, gone now (a
		// tombstone, or no record) is as the removal leaves it; one still
		// there is removed again.
		_, _, rerr := c.readSchedule(name)
		switch {
		case errors.Is(rerr, ErrNoSchedule):
			return nil
		case rerr != nil:
			err = fmt.Errorf("%w: the reply was lost, and the look for the schedule failed: %w", ErrUnconfirmed, rerr)
		default:
			err = c.st.RemoveSchedule(name)
		}
	}
	return unconfirmed(err)
}

// update applies fn to a schedule in a version-checked write, retrying when
// the leader wrote it meanwhile; extra adds operations to the same
// transaction. The record is written as its reader keeps it (EncodeFit: the
// oldest runs of its history make room); one that still would not fit is
// refused, ErrInvalid and store.ErrTooLarge. A write whose reply was lost
// is looked for once the store is back: landed (nil: fn is idempotent, and
// is applied again) says whether it was applied; if not, it is sent again.
// ctx ends it with its error while no write it sent may have landed (none
// sent yet, or each refused or found not applied); after a lost reply not
// so resolved, it goes on whatever ctx says.
func (c *Client) update(ctx context.Context, name string, fn func(*store.Schedule) error, extra func(*store.Txn) error, ids []string,
	landed func() (bool, error)) (*store.Schedule, error) {
	return c.updateFrom(ctx, name, nil, fn, extra, ids, landed)
}

// readRecord is a schedule's record as read, and its version.
type readRecord struct {
	rec     *store.Schedule
	version int32
}

// updateFrom is update that takes first, when not nil, for its first read
// of the record: a write prepared from an old one fails its version check,
// and is prepared again from a read of its own.
func (c *Client) updateFrom(ctx context.Context, name string, first *readRecord, fn func(*store.Schedule) error, extra func(*store.Txn) error, ids []string,
	landed func() (bool, error)) (*store.Schedule, error) {
	doubt := false // a write sent may have landed
	for try := 0; ; try++ {
		read := ctx
		if doubt {
			read = context.Background()
		}
		g, err := withCtx(read, func() (readRecord, error) {
			if first != nil {
				return *first, nil
			}
			rec, version, err := c.readSchedule(name)
			return readRecord{rec, version}, err
		})
		first = nil
		if err != nil {
			return nil, err
		}
		rec, version := g.rec, g.version
		if err := fn(rec); err != nil {
			return nil, err
		}
		data, err := rec.EncodeFit()
		if errors.Is(err, store.ErrTooLarge) {
			return nil, fmt.Errorf("%w: update schedule %s: %w; remove it (drover schedule rm %s) and add it again with a smaller template", ErrInvalid, name, err, name)
		}
		if err != nil {
			return nil, err
		}
		if err := read.Err(); err != nil {
			return nil, err // nothing of this update landed
		}
		err = c.st.CommitCreatingBuckets(ids, func(txn *store.Txn) error {
			txn.Set(c.st.Layout().Schedule(name), data, version)
			if extra != nil {
				return extra(txn)
			}
			return nil
		})
		if err == nil {
			return rec, nil
		}
		if try < 20 && lostReply(err) && c.reconnected(context.Background()) {
			if landed == nil {
				doubt = true // perhaps applied: fn applies again
				continue
			}
			ok, lerr := landed()
			if lerr != nil {
				return nil, fmt.Errorf("update schedule %s: the reply was lost, and looking for the write: %w", name, lerr)
			}
			if !ok {
				continue
			}
			cur, _, rerr := c.readSchedule(name)
			if rerr != nil {
				return nil, rerr
			}
			return cur, nil
		}
		if !errors.Is(err, store.ErrBadVersion) || try > 20 {
			// A write whose reply was lost, not found since, may have
			// landed: ErrUnconfirmed.
			return nil, fmt.Errorf("update schedule %s: %w", name, unconfirmed(err))
		}
	}
}

// PauseSchedule suspends a schedule: no slot fires until it is resumed. Once
// this returns, no slot fires, since any firing must write the record this
// write changed. Slots that came due before the pause (ZooKeeper's time) but
// that no leader fired yet, as when none is up, are recorded as missed: a
// resume continues from its own time and would otherwise leave no trace of
// them. ctx ended before the pause is sent (its reads included), it
// returns ctx's error, having changed nothing; once sent, it waits for the
// reply (bounded by the session), whatever ctx says.
func (c *Client) PauseSchedule(ctx context.Context, name string) (*store.Schedule, error) {
	now, err := withCtx(ctx, c.zkNow)
	if err != nil {
		return nil, fmt.Errorf("pause schedule %s: %w", name, err)
	}
	now = now.UTC()
	return c.update(ctx, name, func(r *store.Schedule) error {
		fileUnfired(r, now, MissedPaused)
		r.Suspended = true
		return nil
	}, nil, nil, nil)
}

// fileUnfired files the slots of r's spec that came due by now but that no
// leader fired (none was up, or a pause or update came first) as missed,
// with reason, and moves its last slot past them: what stops a schedule
// firing must leave a trace of them. A paused one has none to file; a spec
// this host cannot read (a zone its tzdata lacks) is left be, and paused
// all the same: a pause must always stop firing.
func fileUnfired(r *store.Schedule, now time.Time, reason string) {
	s, _, err := scheduler.ReadSpec(r.Cron, r.TZ)
	if err != nil || r.Suspended {
		return
	}
	missed, last := scheduler.PauseSlots(s, r, now)
	for _, slot := range missed {
		r.Record(store.ScheduleRun{Slot: slot.UTC(), Reason: reason})
	}
	if last.After(r.LastSlot) {
		r.LastSlot = last
	}
}

// startFrom sets r's last slot so that its spec's slots fire from now on
// (scheduler.ResumeSlot: an @every one keeps to its grid), when it is
// before now; from now itself where this host cannot read the spec's zone.
// Any other error is the spec's.
func startFrom(r *store.Schedule, now time.Time) error {
	if !r.LastSlot.Before(now) {
		return nil
	}
	s, _, err := scheduler.ReadSpec(r.Cron, r.TZ)
	switch {
	case errors.Is(err, scheduler.ErrUnknownZone):
		r.LastSlot = now // the spec's grid unknown here: from now
	case err != nil:
		return err
	default:
		r.LastSlot = scheduler.ResumeSlot(s, r, now)
	}
	return nil
}

// MissedPaused is the reason a schedule's history gives a slot that came due
// before a pause but that no leader had fired.
const MissedPaused = "missed: paused before it fired"

// ResumeSchedule lets a schedule fire again from its next slot; slots that fell
// while it was paused are not caught up. The resume's time is ZooKeeper's,
// not this host's: the leader plans from it. ctx ends it as it ends
// PauseSchedule: with ctx's error before its write is sent, not after.
func (c *Client) ResumeSchedule(ctx context.Context, name string) (*store.Schedule, error) {
	now, err := withCtx(ctx, c.zkNow)
	if err != nil {
		return nil, fmt.Errorf("resume schedule %s: %w", name, err)
	}
	now = now.UTC()
	return c.update(ctx, name, func(r *store.Schedule) error {
		if r.Suspended {
			if err := startFrom(r, now); err != nil {
				return fmt.Errorf("%w: %w", store.ErrMalformed, err)
			}
		}
		r.Suspended = false
		return nil
	}, nil, nil, nil)
}

// TriggerSchedule runs a schedule's task now, outside its slots; the run joins
// the schedule's history. ctx ends it as it ends PauseSchedule: with ctx's
// error before its write is sent (no run queued), not after.
func (c *Client) TriggerSchedule(ctx context.Context, name string) (string, error) {
	// The run's slot (and DROVER_SLOT) is ZooKeeper's time, as the
	// leader's slots are, not this host's: a clock an hour ahead put the
	// run an hour after slots the leader fires meanwhile.
	slot, err := withCtx(ctx, c.zkNow)
	if err != nil {
		return "", fmt.Errorf("trigger schedule %s: %w", name, err)
	}
	slot = slot.UTC()
	now := c.now().UTC()
	id := ulid.Make().String()
	var task *store.Task
	_, err = c.update(ctx, name, func(r *store.Schedule) error {
		task = r.Task.Clone()
		task.ID, task.SubmittedAt, task.Attempt, task.State, task.Gen = id, now, 1, store.StateQueued, 0
		task.StartBy = time.Time{} // a trigger has no slot, and no starting deadline
		if task.Env == nil {
			task.Env = map[string]string{}
		}
		task.Env["DROVER_SCHEDULE"] = r.Name
		task.Env["DROVER_SLOT"] = fmt.Sprint(slot.Unix())
		r.Active = append(r.Active, store.ScheduleRun{Slot: slot, Task: id, Reason: "triggered"})
		r.TrimActive() // else triggers would grow the record past a znode
		return nil
	}, func(txn *store.Txn) error { return txn.Enqueue(task.Clone()) }, []string{id}, func() (bool, error) {
		// Applied, the write queued the task, found wherever it went since;
		// sent again, it would run twice.
		found, err := c.landed([]*store.Task{task})
		if err != nil {
			return false, err
		}
		return found[0], nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Applied says what ApplySchedule did.
type Applied string

// What ApplySchedule did: the schedule was new (Added), was there with
// another spec or template (Updated), or was there as asked (Unchanged:
// nothing was written).
const (
	Added     Applied = "added"
	Updated   Applied = "updated"
	Unchanged Applied = "unchanged"
)

// MissedUpdated is the reason a schedule's history gives a slot of its old
// spec that came due before an update changed the spec, but that no leader
// had fired.
const MissedUpdated = "missed: its spec changed before it fired"

// ApplySchedule adds the schedule spec describes, or updates the one of that
// name in place (UpdateSchedule): what `drover schedule add --update` does,
// so that a schedule kept in a file or a deploy script can be applied again
// and again. ctx ends it as it ends UpdateSchedule and AddSchedule: with
// ctx's error before a write is sent, not after.
func (c *Client) ApplySchedule(ctx context.Context, spec ScheduleSpec) (*store.Schedule, Applied, error) {
	want, err := spec.Record(c.now())
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return c.apply(ctx, want, c.clockOnce(ctx), nil)
}

// apply is ApplySchedule of want, a record a spec made, its writes timed
// by clock; first, when not nil, is the schedule's record as read first
// (first.rec nil: none was there).
func (c *Client) apply(ctx context.Context, want *store.Schedule, clock func() (time.Time, error), first *readRecord) (*store.Schedule, Applied, error) {
	for try := 0; ; try++ {
		var (
			rec     *store.Schedule
			changed bool
			err     error
		)
		if first != nil && first.rec == nil {
			err = ErrNoSchedule
		} else {
			rec, changed, err = c.updateSpec(ctx, want, clock, first)
		}
		first = nil
		switch {
		case err == nil && changed:
			return rec, Updated, nil
		case err == nil:
			return rec, Unchanged, nil
		case !errors.Is(err, ErrNoSchedule):
			return nil, "", err
		}
		// Created when ZooKeeper says, not this host: the leader's
		// catch-up counts the slots from then.
		at, err := clock()
		if err != nil {
			return nil, "", fmt.Errorf("add schedule %s: %w", want.Name, err)
		}
		add := cloneRec(want)
		add.CreatedAt = at
		rec, err = c.addRecord(ctx, add)
		if errors.Is(err, ErrScheduleExists) && try < 3 {
			continue // added meanwhile by another: updated now
		}
		if err != nil {
			return nil, "", err
		}
		return rec, Added, nil
	}
}

// clockOnce is ZooKeeper's clock for one call's writes: read when first
// asked, then the same. An update with nothing to write never reads it
// (the read is a write).
func (c *Client) clockOnce(ctx context.Context) func() (time.Time, error) {
	var at time.Time
	return func() (time.Time, error) {
		if at.IsZero() {
			t, err := withCtx(ctx, c.zkNow)
			if err != nil {
				return time.Time{}, err
			}
			at = t.UTC()
		}
		return at, nil
	}
}

// UpdateSchedule replaces, in place, what the schedule of spec.Name runs and
// when (its spec and zone, catch-up, starting deadline, concurrency, history
// limits and task template), in one version-checked write, as a firing
// writes the record: a slot fires under the old spec or the new, never both.
// What the schedule has done stays: its history (trimmed to smaller
// limits), its active runs (runs already fired go on as they were fired),
// its count of firings and its creation time; it stays paused or active as
// it was, unless spec.Suspend pauses it (as PauseSchedule does). A new spec
// or zone starts its slots from the update's time (ZooKeeper's): no slot
// of the new spec before it fires, whatever the catch-up policy, and slots
// of the old spec that came due but that no leader had fired are filed as
// missed (MissedUpdated), as a pause files them. changed is false when the
// schedule was already as asked: nothing is written. An update whose reply
// was lost is looked for once the store is back: the schedule found as
// asked, it landed (changed); if not, it is sent again. No schedule of the
// name: ErrNoSchedule. ctx ended before the update is sent (its reads
// included), it returns ctx's error, having changed nothing; once sent, it
// waits for the reply (bounded by the session), whatever ctx says.
func (c *Client) UpdateSchedule(ctx context.Context, spec ScheduleSpec) (rec *store.Schedule, changed bool, err error) {
	want, err := spec.Record(c.now())
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return c.updateSpec(ctx, want, c.clockOnce(ctx), nil)
}

// updateSpec is UpdateSchedule of want, a record a spec made, its write
// timed by clock, read once it has one to send; first, when not nil, is
// the record as read first.
func (c *Client) updateSpec(ctx context.Context, want *store.Schedule, clock func() (time.Time, error), first *readRecord) (rec *store.Schedule, changed bool, err error) {
	name := want.Name
	var same *store.Schedule // the record, found as asked
	rec, err = c.updateFrom(ctx, name, first, func(r *store.Schedule) error {
		if ok, err := asAsked(r, want); err != nil || ok {
			same = r
			return cmp.Or(err, errUnchanged)
		}
		now, err := clock()
		if err != nil {
			return fmt.Errorf("update schedule %s: %w", name, err)
		}
		_, err = applySpec(r, want, now)
		return err
	}, nil, nil, func() (bool, error) {
		// The reply was lost: the write landed if the schedule is now as
		// asked (sent again, it would find nothing to do and say
		// unchanged of a schedule this update changed).
		cur, _, err := c.readSchedule(name)
		if err != nil {
			return false, err
		}
		return asAsked(cur, want)
	})
	if errors.Is(err, errUnchanged) {
		return same, false, nil // nothing written
	}
	if err != nil {
		return nil, false, err
	}
	return rec, true, nil
}

// errUnchanged stops an update that would write the record as it is.
var errUnchanged = errors.New("unchanged")

// applySpec makes r, a schedule's record, what want (a record a spec made)
// asks, keeping r's history, active runs, count and creation time (see
// UpdateSchedule), at now; false: r was so already.
func applySpec(r, want *store.Schedule, now time.Time) (bool, error) {
	if same, err := asAsked(r, want); err != nil || same {
		return false, err
	}
	grid := !sameGrid(r.Cron, r.TZ, want.Cron, want.TZ)
	pause := want.Suspended && !r.Suspended
	switch {
	case grid:
		fileUnfired(r, now, MissedUpdated) // the old spec's
	case pause:
		fileUnfired(r, now, MissedPaused)
	}
	r.Cron, r.TZ, r.Catchup, r.StartingDeadline, r.Concurrency = want.Cron, want.TZ, want.Catchup, want.StartingDeadline, want.Concurrency
	r.KeepSucceeded, r.KeepFailed, r.Task = want.KeepSucceeded, want.KeepFailed, want.Task
	r.Suspended = r.Suspended || want.Suspended
	r.TrimHistory()
	if grid {
		// The new spec's slots start after now: none before the update
		// is due (catch-up all would fire them), an @every one keeping to
		// its grid as a resume does.
		if err := startFrom(r, now); err != nil {
			return false, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return true, nil
}

// asAsked reports whether r, a schedule's record, is what want (a record a
// spec made) asks already: an update would write nothing.
func asAsked(r, want *store.Schedule) (bool, error) {
	// As an earlier client wrote it (its template's format version, no
	// catch-up or concurrency policy for the default) is as asked too.
	old := r.Task
	old.V = want.Task.V
	oldTask, err := json.Marshal(&old)
	if err != nil {
		return false, err
	}
	newTask, err := json.Marshal(&want.Task)
	if err != nil {
		return false, err
	}
	pause := want.Suspended && !r.Suspended
	return r.Cron == want.Cron && r.TZ == want.TZ && !pause && bytes.Equal(oldTask, newTask) &&
		cmp.Or(r.Catchup, store.CatchupNone) == want.Catchup && cmp.Or(r.Concurrency, store.ConcurrencyAllow) == want.Concurrency &&
		r.StartingDeadline == want.StartingDeadline &&
		r.KeepSucceeded == want.KeepSucceeded && r.KeepFailed == want.KeepFailed, nil
}

// sameGrid reports whether two specs, each with its zone (tz, or a
// CRON_TZ= or TZ= prefix; UTC without), name the same slots: written
// alike (the same zone and fields, spaced and Sunday written either way,
// which holds of specs this host cannot read too: a zone its tzdata
// lacks), or read alike (scheduler.SameSlots: @daily and 0 0 * * *, 60s
// and 1m, UTC and Etc/UTC). A spec only rewritten so is no new spec for
// an update.
func sameGrid(aCron, aTZ, bCron, bTZ string) bool {
	if scheduler.SameSlots(aCron, aTZ, bCron, bTZ) {
		return true
	}
	norm := func(spec, tz string) string {
		spec = strings.TrimSpace(spec)
		if zone, rest, ok := scheduler.ZonePrefix(spec); ok {
			spec, tz = rest, zone
		}
		if tz == "" {
			tz = "UTC"
		}
		return tz + " " + strings.Join(strings.Fields(scheduler.SundayAsZero(spec)), " ")
	}
	return norm(aCron, aTZ) == norm(bCron, bTZ)
}

// WouldApply says what ApplySchedule(spec) would do now, writing nothing:
// Added (no schedule of the name), Updated or Unchanged. It ends with ctx's
// error once ctx is done, its read left to end in the background.
func (c *Client) WouldApply(ctx context.Context, spec ScheduleSpec) (Applied, error) {
	want, err := spec.Record(c.now())
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	rec, err := withCtx(ctx, func() (*store.Schedule, error) {
		rec, _, err := c.readSchedule(spec.Name)
		return rec, err
	})
	switch {
	case errors.Is(err, ErrNoSchedule):
		return Added, nil
	case err != nil:
		return "", err
	}
	return c.wouldApply(rec, want)
}

// wouldApply is what an apply of want (a record a spec made) would do to
// rec, the schedule's record (nil: none is there).
func (c *Client) wouldApply(rec, want *store.Schedule) (Applied, error) {
	if rec == nil {
		return Added, nil
	}
	// The time moves only the slots an update would file, not whether it
	// changes anything: this host's will do (ZooKeeper's takes a write).
	changed, err := applySpec(rec, want, c.now().UTC())
	if err != nil {
		return "", err
	}
	if changed {
		return Updated, nil
	}
	return Unchanged, nil
}
