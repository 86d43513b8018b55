package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Catch-up policies: what a new leader does with slots missed while no leader ran.
const (
	CatchupNone = "none" // skip them
	CatchupLast = "last" // run the most recent one
	CatchupAll  = "all"  // run every one (within the starting deadline)
)

// Concurrency policies: what a slot does while the previous run is active.
const (
	ConcurrencyAllow   = "allow"
	ConcurrencyForbid  = "forbid"  // skip the slot (recorded)
	ConcurrencyReplace = "replace" // cancel the previous run, then run
)

// ScheduleRun is one slot's outcome in a schedule's history.
type ScheduleRun struct {
	Slot  time.Time `json:"slot"`
	Task  string    `json:"task,omitempty"`
	State State     `json:"state,omitempty"`
	// Reason says why a slot did not run (skipped: forbid, missed: deadline).
	Reason string `json:"reason,omitempty"`
}

// ReasonReplaced is the note of a run that a replace schedule's next slot
// cancelled (its state cancelled), and its task's error.
const ReasonReplaced = "replaced by a newer slot"

// Replaced reports whether t is a schedule's run that a replace slot
// cancelled.
func (t *Task) Replaced() bool { return t.State == StateCancelled && t.Error == ReasonReplaced }

// Schedule is a cron schedule's record at schedules/<name>. The leader advances
// LastSlot in the same transaction that creates a slot's task, so a slot fires
// at most once across failovers.
type Schedule struct {
	V    int    `json:"v"`
	Name string `json:"name"`
	// Cron is the spec as given (5 or 6 fields or a descriptor, optionally with
	// a CRON_TZ= prefix); TZ is the --tz zone ("" = UTC unless the spec says).
	Cron             string `json:"cron"`
	TZ               string `json:"tz,omitempty"`
	Catchup          string `json:"catchup"`
	StartingDeadline Millis `json:"starting_deadline_ms,omitempty"`
	Concurrency      string `json:"concurrency"`
	Suspended        bool   `json:"suspended,omitempty"`
	// Task is the template of each slot's task (id, state and lifecycle unset).
	Task      Task      `json:"task"`
	CreatedAt time.Time `json:"created_at"`

	// LastSlot is the latest slot handled (fired, skipped or missed); slots up
	// to it never fire again.
	LastSlot time.Time `json:"last_slot,omitzero"`
	// Active are fired runs whose outcome the leader has not seen yet.
	Active []ScheduleRun `json:"active,omitempty"`
	// Succeeded, Failed and Skipped are the most recent outcomes, newest last,
	// each bounded by its limit.
	Succeeded     []ScheduleRun `json:"succeeded,omitempty"`
	Failed        []ScheduleRun `json:"failed,omitempty"`
	Skipped       []ScheduleRun `json:"skipped,omitempty"`
	KeepSucceeded int           `json:"keep_succeeded"`
	KeepFailed    int           `json:"keep_failed"`
	Fired         int64         `json:"fired"`

	// Removed marks the record a tombstone: `schedule rm` writes one over it
	// instead of deleting it, and the leader deletes it later
	// (RemoveSchedule says why).
	Removed bool `json:"removed,omitempty"`
}

func (s *Schedule) setV() { s.V = FormatVersion }

// MaxActiveRuns bounds how many unfinished runs a schedule record tracks.
const MaxActiveRuns = 100

// TrimActive files the oldest active runs past MaxActiveRuns as "no
// longer tracked", so the record stays bounded however many runs pile up
// (a slot's, or a trigger's: triggers run beside active runs).
func (s *Schedule) TrimActive() {
	if len(s.Active) <= MaxActiveRuns {
		return
	}
	for _, r := range s.Active[:len(s.Active)-MaxActiveRuns] {
		r.Reason = "no longer tracked"
		s.Record(r)
	}
	s.Active = append([]ScheduleRun(nil), s.Active[len(s.Active)-MaxActiveRuns:]...)
}

// Rerun tracks again a run of the schedule that drover retry queued again
// (task id, of slot unless its history says): out of the history, into
// Active, so that forbid and replace see it and its new outcome is filed.
func (s *Schedule) Rerun(id string, slot time.Time) {
	for _, list := range []*[]ScheduleRun{&s.Succeeded, &s.Failed, &s.Skipped} {
		*list = slices.DeleteFunc(*list, func(r ScheduleRun) bool {
			if r.Task == id {
				slot = r.Slot
				return true
			}
			return false
		})
	}
	if !slices.ContainsFunc(s.Active, func(r ScheduleRun) bool { return r.Task == id }) {
		s.Active = append(s.Active, ScheduleRun{Slot: slot, Task: id, Reason: "retried"})
		s.TrimActive()
	}
}

// Tracks reports whether s names task id among its runs: active, or in its
// history.
func (s *Schedule) Tracks(id string) bool {
	for _, list := range [][]ScheduleRun{s.Active, s.Succeeded, s.Failed, s.Skipped} {
		if slices.ContainsFunc(list, func(r ScheduleRun) bool { return r.Task == id }) {
			return true
		}
	}
	return false
}

// Record files a finished or skipped run into the bounded history lists:
// failures apart from the runs a replace slot cancelled (ReasonReplaced),
// which go with the slots skipped or missed.
func (s *Schedule) Record(r ScheduleRun) {
	switch {
	case r.State == StateSucceeded:
		s.Succeeded = keepNewest(append(s.Succeeded, r), s.KeepSucceeded)
	case r.State == StateCancelled && r.Reason == ReasonReplaced:
		// The policy's own doing, not a failure: filed with the slots
		// skipped, so that a schedule that replaces often keeps its real
		// failures.
		s.Skipped = keepNewest(append(s.Skipped, r), s.skippedLimit())
	case r.State.Terminal():
		s.Failed = keepNewest(append(s.Failed, r), s.KeepFailed)
	default:
		s.Skipped = keepNewest(append(s.Skipped, r), s.skippedLimit())
	}
}

// TrimHistory keeps each history list within the limit Record keeps it
// to, for limits made smaller (an update).
func (s *Schedule) TrimHistory() {
	s.Succeeded = keepNewest(s.Succeeded, s.KeepSucceeded)
	s.Failed = keepNewest(s.Failed, s.KeepFailed)
	s.Skipped = keepNewest(s.Skipped, s.skippedLimit())
}

// skippedLimit bounds the skipped, missed and replaced runs kept: as many
// as failures, at least 10.
func (s *Schedule) skippedLimit() int { return max(s.KeepFailed, 10) }

// keepNewest is the newest limit runs of list (at least one).
func keepNewest(list []ScheduleRun, limit int) []ScheduleRun {
	limit = max(limit, 1)
	if len(list) > limit {
		list = append([]ScheduleRun(nil), list[len(list)-limit:]...)
	}
	return list
}

// templateID stands in for a slot task's id while a template is checked:
// its own id is made when its slot fires.
const templateID = "00000000000000000000000000"

// CheckTemplate checks s's task template as a client checks a task it
// submits (Task.Validate, EncodeSpec), and that it carries no idempotency
// key (each slot has its own id). A client refuses to write a template
// that fails it.
func (s *Schedule) CheckTemplate() error {
	if err := s.checkTemplate((*Task).Validate); err != nil {
		return err
	}
	_, err := EncodeSpec(s.Task.Clone())
	return err
}

// CheckFireable is what DecodeSchedule checks of a template: what every
// slot's task needs to be run (Task.validRun, no key) and to be written
// with the record in one firing's transaction (recordSize is the record's
// encoded size; FiringWeight). A template written past the client (by
// hand) that fails it would fire tasks that DecodeTask refuses, moved
// aside wherever read, or could never be written, the slot tried again at
// every tick; so such a record is malformed. The rules a client gained
// later are left out (Task.validSubmit, and MaxSpecSize: early clients
// wrote templates up to a record's size, and leaders fire them while a
// firing fits): a schedule an earlier release wrote, in use, must not be
// moved aside by an upgrade.
func (s *Schedule) CheckFireable(recordSize int) error {
	if err := s.checkTemplate((*Task).validRun); err != nil {
		return err
	}
	tmpl, state, err := s.weights()
	if err != nil {
		return err
	}
	_, err = overBound(recordSize, tmpl, state)
	return err
}

// FiringWeight is what a record of recordSize bytes weighs against
// MaxFiringBytes, the one rule its reader (DecodeSchedule), its writers
// (EncodeFit) and the leader's firings go by: the record and its template
// encoded (a slot's task is the template and a few fields), less the
// record's firing state (its active runs, last slot, count of slots fired
// and pause), up to maxFiringState bytes of it. Firings and pauses change
// only that state, besides the history that EncodeFit trims: so a record
// its reader keeps can be fired, paused and triggered in records its
// reader keeps, and a firing of one task writes at most MaxFiringBytes +
// FiringSlack. (Weighing the state, a record at the bound with no history
// to drop could not take its firing's active run: it never fired.)
func (s *Schedule) FiringWeight(recordSize int) (int, error) {
	tmpl, state, err := s.weights()
	return recordSize - state + tmpl, err
}

// weights are what FiringWeight takes of s besides its record's size: its
// template encoded, and its firing state, left out. Trimming the history
// (EncodeFit) changes neither.
func (s *Schedule) weights() (tmpl, state int, err error) {
	b, err := Encode(s.Task.Clone())
	if err != nil {
		return 0, 0, err
	}
	return len(b), s.stateBytes(), nil
}

// overBound is by how many bytes a record of recordSize bytes, with a
// template and a firing state of those weights, passes MaxFiringBytes; and
// then an error wrapping ErrTooLarge.
func overBound(recordSize, tmpl, state int) (int, error) {
	rec := recordSize - state
	if over := rec + tmpl - MaxFiringBytes; over > 0 {
		return over, fmt.Errorf("the record (%d bytes besides its active runs and last slot) and a slot's task (%d) would pass the %d bytes a firing may write: %w",
			rec, tmpl, MaxFiringBytes, ErrTooLarge)
	}
	return 0, nil
}

// firingState is what a record's firings and its pause change in it,
// besides its history: its fields as they are encoded in the record.
type firingState struct {
	Active    []ScheduleRun `json:"active,omitempty"`
	LastSlot  time.Time     `json:"last_slot,omitzero"`
	Fired     int64         `json:"fired"`
	Suspended bool          `json:"suspended,omitempty"`
}

// stateBytes is what s's firing state takes of its record (within a couple
// of bytes: its braces against its fields' commas), at most maxFiringState.
func (s *Schedule) stateBytes() int {
	b, err := json.Marshal(firingState{Active: s.Active, LastSlot: s.LastSlot, Fired: s.Fired, Suspended: s.Suspended})
	if err != nil { // a time json cannot write: the record does not encode either
		return 0
	}
	return min(len(b), maxFiringState)
}

// maxFiringState bounds the firing state a record's weight leaves out
// (FiringWeight): MaxActiveRuns active runs of up to 104 bytes each (a
// trigger's: its slot to the nanosecond, with a zone offset, and its
// reason), its last slot, its count of slots fired and its pause, with
// some to spare. Only runs written by hand (a long reason) take more, and
// the rest then weighs as the record does.
const maxFiringState = 11 << 10

// EncodeFit encodes s to be written, within the bound DecodeSchedule reads
// it by: its FiringWeight within MaxFiringBytes. Past it, the oldest runs
// of the history (succeeded, failed, skipped) are dropped from s until it
// fits: a record written past the bound is moved aside by the next leader
// that reads it, and the schedule is gone. Active runs are kept: forbid
// and replace act on them. ErrTooLarge: s does not fit even with no
// history left. Every writer of a schedule record encodes it with
// EncodeFit: the client's add, pause, resume and trigger, and the leader's
// firing (which writes at most FiringSlack besides, for a firing of one
// task).
func (s *Schedule) EncodeFit() ([]byte, error) {
	tmpl, state, err := s.weights()
	if err != nil {
		return nil, err
	}
	s.setV()
	for {
		data, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		over, err := overBound(len(data), tmpl, state)
		if err == nil {
			return data, nil
		}
		if !s.dropOldestRuns(over) {
			return nil, err
		}
	}
}

// dropOldestRuns drops the oldest runs of s's history, by slot, until they
// took n bytes of its record; false: its history is empty.
func (s *Schedule) dropOldestRuns(n int) bool {
	lists := []*[]ScheduleRun{&s.Succeeded, &s.Failed, &s.Skipped}
	dropped := false
	for n > 0 {
		var oldest *[]ScheduleRun
		for _, l := range lists {
			if len(*l) > 0 && (oldest == nil || (*l)[0].Slot.Before((*oldest)[0].Slot)) {
				oldest = l
			}
		}
		if oldest == nil {
			break
		}
		b, _ := json.Marshal((*oldest)[0]) // it encoded with the record
		n -= len(b) + 1                    // and its comma
		*oldest, dropped = (*oldest)[1:], true
	}
	return dropped
}

// MaxFiringBytes bounds a schedule's record and its template
// (FiringWeight), and so what one firing's transaction writes (the
// schedule's record, and its slots' tasks): ZooKeeper drops the connection
// of a request over jute.maxbuffer (1 MiB by default), and with it every
// request in flight. A firing of one task may write FiringSlack more.
const MaxFiringBytes = 768 * 1024

// FiringSlack is what a firing of one task may write past MaxFiringBytes,
// that a record's FiringWeight leaves out: its firing state (up to
// maxFiringState, 11 KiB); the slot task's own fields (its id, name,
// DROVER_SCHEDULE and DROVER_SLOT, submit time, state, attempt and
// start_by: under 2 KiB with a name of MaxNameLen bytes, each escaped to 6
// in JSON); and
// the paths (the record's, and the queue item's, three times: under 1 KiB
// with a root of MaxNameLen bytes). The rest is room for longer roots.
// MaxFiringBytes and FiringSlack leave 224 KiB of jute.maxbuffer for the
// fence, bucket creations and the operations' headers.
const FiringSlack = 32 << 10

func (s *Schedule) checkTemplate(valid func(*Task) error) error {
	if s.Task.Key != "" {
		return errors.New("a schedule's task cannot carry an idempotency key: each slot has its own id")
	}
	t := s.Task.Clone()
	t.ID = templateID
	return valid(t)
}

// DecodeSchedule decodes a schedule record.
func DecodeSchedule(data []byte) (*Schedule, error) {
	var s Schedule
	if err := Decode(data, &s); err != nil {
		return nil, err
	}
	if err := ValidateNodeName(s.Name); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if s.Removed { // a tombstone: only its name counts
		return &Schedule{V: s.V, Name: s.Name, Removed: true}, nil
	}
	if len(s.Task.Cmd) == 0 && s.Task.Handler == "" {
		return nil, fmt.Errorf("%w: schedule %s has no command", ErrMalformed, s.Name)
	}
	if err := s.CheckFireable(len(data)); err != nil {
		return nil, fmt.Errorf("%w: schedule %s: task template: %v", ErrMalformed, s.Name, err)
	}
	switch s.Catchup {
	case "", CatchupNone, CatchupLast, CatchupAll: // "" (the Go API, unset): none
	default:
		return nil, fmt.Errorf("%w: schedule %s: catch-up %q: want none, last or all", ErrMalformed, s.Name, s.Catchup)
	}
	switch s.Concurrency {
	case "", ConcurrencyAllow, ConcurrencyForbid, ConcurrencyReplace:
	default:
		// Read as allow, a "Forbid" written by hand ran every slot beside
		// the last.
		return nil, fmt.Errorf("%w: schedule %s: concurrency %q: want allow, forbid or replace", ErrMalformed, s.Name, s.Concurrency)
	}
	if s.StartingDeadline < 0 || s.Task.Timeout < 0 {
		// No client writes them; read as they stand, a negative deadline
		// was no limit, and a negative timeout went into every run.
		return nil, fmt.Errorf("%w: schedule %s: negative starting deadline or timeout", ErrMalformed, s.Name)
	}
	// Slots are reckoned from these, and a slot's id needs a time a ULID
	// holds. LastSlot is zero until a slot is handled.
	inRange := func(at time.Time) bool { return at.Unix() >= 0 && !at.After(maxSlotTime) }
	if !inRange(s.CreatedAt) || !s.LastSlot.IsZero() && !inRange(s.LastSlot) {
		return nil, fmt.Errorf("%w: schedule %s: created_at %v or last_slot %v out of range", ErrMalformed, s.Name, s.CreatedAt, s.LastSlot)
	}
	for _, r := range s.Active {
		if err := ValidateTaskID(r.Task); err != nil {
			return nil, fmt.Errorf("%w: schedule %s: active run: %v", ErrMalformed, s.Name, err)
		}
	}
	// No writer lists a run twice (edited by hand): a replace firing
	// cancelled it twice in one transaction, which failed at every slot,
	// and the schedule never fired again. Read once; the next write drops
	// the other.
	seen := make(map[string]bool, len(s.Active))
	s.Active = slices.DeleteFunc(s.Active, func(r ScheduleRun) bool {
		dup := seen[r.Task]
		seen[r.Task] = true
		return dup
	})
	return &s, nil
}

// maxSlotTime is the latest slot time DecodeSchedule accepts; ULIDs hold
// times to the year 10889.
var maxSlotTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Schedule is the record znode of a schedule.
func (l Layout) Schedule(name string) string { return l.join("schedules", name) }

// Schedules is the directory of schedule records.
func (l Layout) Schedules() string { return l.join("schedules") }

// SlotTasksPerBucket is how many slot tasks a leader puts into one bucket:
// MaxBucketTasks less the 12,288 ids one paced submitter fills. A slot task's
// id has its slot's time, and thousands of schedules sharing a slot (every
// hour on the hour) would otherwise take one bucket past MaxBucketTasks and
// its listing toward jute.maxbuffer; the slot tasks beyond it spill into the
// buckets after (SlotTaskID).
const SlotTasksPerBucket = MaxBucketTasks - idsPerMilli*int(BucketWindow/time.Millisecond)

// SlotTaskID is the id of a schedule's slot task: a ULID whose time is the
// slot moved spill buckets on (0: the slot's own), and whose randomness is a
// hash of the schedule, slot and spill, so leaders that fire the slot name
// the same task.
func SlotTaskID(schedule string, slot time.Time, spill int) string {
	key := schedule + "\x00" + strconv.FormatInt(slot.UnixNano(), 10)
	if spill > 0 {
		key += "\x00" + strconv.Itoa(spill)
	}
	sum := sha256.Sum256([]byte(key))
	id, err := ulid.New(ulid.Timestamp(SlotTaskTime(slot, spill)), bytes.NewReader(sum[:]))
	if err != nil {
		panic(fmt.Sprintf("slot id: %v", err)) // only for times past year 10889
	}
	return id.String()
}

// SlotTaskTime is the time of the ids of a slot's tasks spilled spill
// buckets on (SlotTaskID), which names their buckets.
func SlotTaskTime(slot time.Time, spill int) time.Time {
	return slot.Add(time.Duration(spill) * BucketWindow)
}

// Sentinel errors of adding and removing schedules.
var (
	ErrScheduleExists   = errors.New("schedule exists")
	ErrNoSchedule       = errors.New("no such schedule")
	ErrTooManySchedules = errors.New("too many schedules")
)

// MaxScheduleListing bounds the bytes of the schedules directory's listing
// (each name, and the 4 bytes ZooKeeper's reply gives its length), which
// every schedule adds to: a client reads a listing in one reply, and
// ZooKeeper's own clients (zkCli.sh, Curator) refuse one over jute.maxbuffer,
// 1 MiB. 768 KiB is some 32,000 names of 20 bytes. What is left is room for
// other stores' adds while a store trusts a size it read
// (scheduleListingFresh): a second of creates at this machine's 4,000 –
// 10,000 a second, of names up to 20 – 60 bytes. Bulk adders of longer
// names, several at once, can take the listing past it.
const MaxScheduleListing = 768 << 10

// maxScheduleListing is MaxScheduleListing; tests lower it.
var maxScheduleListing = MaxScheduleListing

// scheduleListingFresh is how long a store trusts the size of the schedules
// directory's listing it read, plus what it added since: adding 20,000
// schedules, each reading a listing of up to 768 KiB, would read gigabytes.
const scheduleListingFresh = time.Second

// scheduleListing is what a store knows of the schedules directory's size.
type scheduleListing struct {
	mu    sync.Mutex
	names map[string]bool // when read, plus this store's adds since; nil: not read
	bytes int             // the listing's bytes, of names; names nil: a bound, every name as long as names go
	at    time.Time       // when read, or counted (zero: never)
}

// reserveScheduleName counts name into the schedules directory's listing,
// reading the listing again when what this store knows of it is older
// than scheduleListingFresh. A name listed already (a tombstone to write
// over) adds nothing. ErrTooManySchedules: it would outgrow
// maxScheduleListing.
func (s *Store) reserveScheduleName(name string) error {
	l := &s.schedules
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := s.now(); l.at.IsZero() || now.Sub(l.at) >= scheduleListingFresh || now.Before(l.at) {
		// Names are at most MaxNameLen bytes: a directory that fits with
		// every name that long needs no listing (a one-shot `schedule add`
		// among a few thousand schedules). The count is trusted as a
		// listing is (an add of each of 2,000 schedules at once read it
		// each, one at a time).
		ok, st, err := s.Exists(s.layout.Schedules())
		if err != nil {
			return fmt.Errorf("add schedule %s: %w", name, err)
		}
		l.names, l.bytes, l.at = nil, 0, now
		if ok {
			l.bytes = int(st.NumChildren) * (MaxNameLen + 4)
		}
	}
	if l.names == nil {
		if l.bytes+MaxNameLen+4 <= maxScheduleListing {
			l.bytes += MaxNameLen + 4
			return nil
		}
		names, err := s.Children(s.layout.Schedules())
		if err != nil && !errors.Is(err, ErrNoNode) {
			return fmt.Errorf("add schedule %s: %w", name, err)
		}
		l.names, l.bytes = make(map[string]bool, len(names)), 0
		for _, n := range names {
			l.names[n], l.bytes = true, l.bytes+len(n)+4
		}
	}
	if l.names[name] {
		return nil
	}
	if l.bytes+len(name)+4 > maxScheduleListing {
		return fmt.Errorf("schedule %s: %w: the schedules directory would list %d bytes, more than %d; remove some first (a removed schedule's name stays listed for an hour or more)",
			name, ErrTooManySchedules, l.bytes+len(name)+4, maxScheduleListing)
	}
	l.names[name], l.bytes = true, l.bytes+len(name)+4
	return nil
}

// scheduleTries bounds AddSchedule's and RemoveSchedule's retries when the
// record changes under them (a firing, the leader deleting a tombstone).
const scheduleTries = 20

// AddSchedule creates rec's record, or writes it over a tombstone of its
// name at the tombstone's version (RemoveSchedule). ErrScheduleExists: the
// name holds a schedule, or a record that does not decode.
// ErrTooManySchedules: the schedules directory is full (MaxScheduleListing).
// ErrTooLarge: the record would not fit a firing (EncodeFit).
func (s *Store) AddSchedule(rec *Schedule) error {
	if err := ValidateNodeName(rec.Name); err != nil {
		return fmt.Errorf("add schedule: %w", err)
	}
	p := s.layout.Schedule(rec.Name)
	data, err := rec.EncodeFit()
	if err != nil {
		return fmt.Errorf("add schedule %s: %w", rec.Name, err)
	}
	// What its reader would refuse (a template with no command, a
	// catch-up policy misspelt) the leader would move aside at once.
	if _, err := DecodeSchedule(data); err != nil {
		return fmt.Errorf("add schedule %s: it would not be read back: %w", rec.Name, err)
	}
	if err := s.reserveScheduleName(rec.Name); err != nil {
		return err
	}
	for try := 0; ; try++ {
		err := s.Create(p, data)
		if !errors.Is(err, ErrNodeExists) {
			return err
		}
		old, stat, err := s.Get(p)
		if err == nil {
			if tomb, derr := DecodeSchedule(old); derr != nil || !tomb.Removed {
				return fmt.Errorf("schedule %s: %w", rec.Name, ErrScheduleExists)
			}
			_, err = s.Set(p, data, stat.Version)
		}
		if err == nil || !errors.Is(err, ErrNoNode) && !errors.Is(err, ErrBadVersion) || try == scheduleTries {
			return err
		}
	}
}

// RemoveSchedule replaces name's record with a tombstone, which the leader
// deletes an hour after it has read it. Deleting the record would let a
// re-added schedule of the name start again from version 0, and a write
// prepared from the old record (a firing the leader prepared before it saw
// the removal, a client's pause) could then commit over the new one at an
// equal version. A tombstone keeps the name's versions counting up
// meanwhile. ErrNoSchedule: no schedule has that name (a tombstone has
// none).
func (s *Store) RemoveSchedule(name string) error {
	if err := ValidateNodeName(name); err != nil {
		return fmt.Errorf("remove schedule: %w", err)
	}
	p := s.layout.Schedule(name)
	data, err := Encode(&Schedule{Name: name, Removed: true})
	if err != nil {
		return fmt.Errorf("remove schedule %s: %w", name, err)
	}
	for try := 0; ; try++ {
		old, stat, err := s.Get(p)
		if err == nil {
			if rec, derr := DecodeSchedule(old); derr == nil && rec.Removed {
				err = ErrNoNode
			} else {
				_, err = s.Set(p, data, stat.Version)
			}
		}
		switch {
		case errors.Is(err, ErrNoNode):
			return fmt.Errorf("schedule %s: %w", name, ErrNoSchedule)
		case errors.Is(err, ErrBadVersion) && try < scheduleTries:
			continue
		}
		return err
	}
}
