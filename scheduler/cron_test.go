package scheduler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/oklog/ulid/v2"
	"github.com/rs/zerolog"
)

// addSchedule creates rec, with `true` as its task unless it names a
// command or handler, catch-up none unless given, and made now unless
// CreatedAt says when.
func addSchedule(t *testing.T, st *store.Store, rec *store.Schedule) {
	t.Helper()
	if rec.Task.Cmd == nil && rec.Task.Handler == "" {
		rec.Task.Cmd = []string{"true"}
	}
	if rec.Catchup == "" {
		rec.Catchup = store.CatchupNone
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = time.Now().UTC()
	}
	rec.KeepSucceeded, rec.KeepFailed = 10, 10
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
}

// scheduleExists reports whether name's znode (a record or a tombstone)
// exists.
func scheduleExists(t *testing.T, st *store.Store, name string) bool {
	t.Helper()
	ok, _, err := st.Exists(st.Layout().Schedule(name))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// suspendSchedule pauses name as `drover schedule pause` does, from a
// test hook (so errors are t.Error).
func suspendSchedule(t *testing.T, st *store.Store, name string) {
	editSchedule(t, st, name, func(rec *store.Schedule) { rec.Suspended = true })
}

// editSchedule writes name's record changed by edit at the version read,
// reading it again while a firing writes it meanwhile, as a client's
// command does (errors are t.Error: it may run in a hook).
func editSchedule(t *testing.T, st *store.Store, name string, edit func(*store.Schedule)) {
	p := st.Layout().Schedule(name)
	for try := 0; ; try++ {
		data, stat, err := st.Get(p)
		if err != nil {
			t.Error(err)
			return
		}
		rec, err := store.DecodeSchedule(data)
		if err != nil {
			t.Error(err)
			return
		}
		edit(rec)
		if data, err = store.Encode(rec); err == nil {
			_, err = st.Set(p, data, stat.Version)
		}
		if errors.Is(err, store.ErrBadVersion) && try < 20 {
			continue
		}
		if err != nil {
			t.Error(err)
		}
		return
	}
}

func readSchedule(t *testing.T, st *store.Store, name string) *store.Schedule {
	t.Helper()
	data, _, err := st.Get(st.Layout().Schedule(name))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.DecodeSchedule(data)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestScheduleForbidSkipsWhileActive(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 4, nil) // holds what it gets: runs never end
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid})
	drovertest.WaitFor(t, 10*time.Second, "two slots skipped", func() bool { return len(readSchedule(t, st, "tick").Skipped) >= 2 })
	if got := w.assignments(t); len(got) != 1 {
		t.Fatalf("forbid let %d runs start: %v", len(got), got)
	}
	rec := readSchedule(t, st, "tick")
	if len(rec.Active) != 1 || rec.Fired != 1 {
		t.Fatalf("active %v fired %d", rec.Active, rec.Fired)
	}
}

func TestScheduleReplaceCancelsPrevious(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "w", 4, nil)
	runScheduler(t, st, "s1")
	// A real failure kept, with room for one: replaced runs are filed
	// apart from failures, and do not push it out.
	failure := store.ScheduleRun{Slot: time.Now().Add(-time.Hour).UTC().Truncate(time.Second), Task: ulid.Make().String(), State: store.StateFailed}
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Concurrency: store.ConcurrencyReplace,
		Failed: []store.ScheduleRun{failure}})
	editSchedule(t, st, "tick", func(rec *store.Schedule) { rec.KeepFailed = 1 })
	drovertest.WaitFor(t, 20*time.Second, "two runs replaced", func() bool {
		rec := readSchedule(t, st, "tick")
		return len(rec.Skipped) >= 2 && len(rec.Active) == 1
	})
	rec := readSchedule(t, st, "tick")
	if len(rec.Failed) != 1 || rec.Failed[0] != failure {
		t.Errorf("failures kept %+v, want only %+v: replaced runs pushed it out", rec.Failed, failure)
	}
	first := rec.Skipped[0]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := st.WaitResult(ctx, first.Task)
	if err != nil || res.State != store.StateCancelled || first.State != store.StateCancelled || first.Reason != store.ReasonReplaced {
		t.Fatalf("replaced run %+v: result %+v %v", first, res, err)
	}
}

// A run whose result was pruned before the leader saw its outcome does not
// keep a forbid schedule from firing for ever.
func TestScheduleForbidForgetsRunThatIsGone(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "w", 4, nil)
	gone := store.ScheduleRun{Slot: time.Now().Add(-48 * time.Hour).UTC(), Task: ulid.Make().String()}
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		Active: []store.ScheduleRun{gone}})
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "a slot fired", func() bool { return readSchedule(t, st, "tick").Fired >= 1 })
	rec := readSchedule(t, st, "tick")
	for _, r := range rec.Active {
		if r.Task == gone.Task {
			t.Fatalf("the gone run is still active: %+v", rec.Active)
		}
	}
}

// The unreadable result of a schedule's active run is moved aside, with a
// warning naming the task and the schedule, so drover_deadletter_records
// counts it; the run ends as "result unreadable". That note in the
// schedule's history was all: no log line, no deadletter record, no count.
func TestUnreadableResultOfARunIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	run := store.ScheduleRun{Slot: time.Now().Add(-time.Hour).UTC(), Task: ulid.Make().String()}
	res := lay.Result(run.Task)
	if err := st.EnsurePath(res); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(res, []byte("{not json"), -1); err != nil {
		t.Fatal(err)
	}
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		Active: []store.ScheduleRun{run}})
	var logs lockedLog
	runScheduler(t, st, "s1", func(c *Config) { c.Log = zerolog.New(&logs) })
	drovertest.WaitFor(t, 10*time.Second, "the run filed", func() bool {
		for _, r := range readSchedule(t, st, "tick").Skipped {
			if r.Task == run.Task {
				return r.Reason == "result unreadable"
			}
		}
		return false
	})
	waitGone(t, st, 5*time.Second, res)
	kids, err := st.Children(lay.Deadletter())
	if err != nil || len(kids) != 1 {
		t.Fatalf("deadletter %v (%v), want the result", kids, err)
	}
	data, _, err := st.Get(lay.Deadletter() + "/" + kids[0])
	if err != nil {
		t.Fatal(err)
	}
	var dl store.Deadletter
	if err := store.Decode(data, &dl); err != nil || dl.From != res || string(dl.Data) != "{not json" {
		t.Fatalf("deadletter record %+v (%v), want the result from %s", dl, err, res)
	}
	if !logs.has(`"level":"warn"`, `"task_id":"`+run.Task+`"`, `"schedule":"tick"`) {
		t.Fatalf("no warning with the run's task_id and schedule in:\n%s", logs.String())
	}
}

// The result of a schedule's run that holds another task's well-formed
// record (copied there by hand) is no outcome of the run: it is moved aside
// and the run filed as "result unreadable". refreshRuns decoded it with
// DecodeTask alone and took the other task's state for the run's.
// (Found by review.)
func TestResultOfARunHoldingAnotherTasksRecordIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	run := store.ScheduleRun{Slot: time.Now().Add(-time.Hour).UTC(), Task: ulid.Make().String()}
	res := lay.Result(run.Task)
	if err := st.EnsurePath(res); err != nil {
		t.Fatal(err)
	}
	exit := 3
	other := &store.Task{ID: ulid.Make().String(), Cmd: []string{"false"}, State: store.StateFailed, Attempt: 1,
		ExitCode: &exit, SubmittedAt: time.Now().UTC(), FinishedAt: time.Now().UTC()}
	data, err := store.Encode(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(res, data, -1); err != nil {
		t.Fatal(err)
	}
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid,
		Active: []store.ScheduleRun{run}})
	var logs lockedLog
	runScheduler(t, st, "s1", func(c *Config) { c.Log = zerolog.New(&logs) })
	var filed store.ScheduleRun
	drovertest.WaitFor(t, 10*time.Second, "the run filed", func() bool {
		rec := readSchedule(t, st, "tick")
		for _, list := range [][]store.ScheduleRun{rec.Skipped, rec.Failed, rec.Succeeded} {
			for _, r := range list {
				if r.Task == run.Task {
					filed = r
					return true
				}
			}
		}
		return false
	})
	if filed.State != "" || filed.Reason != "result unreadable" {
		t.Fatalf("the run was filed as %+v, want \"result unreadable\": task %s's state taken for its outcome", filed, other.ID)
	}
	waitGone(t, st, 5*time.Second, res)
	if !deadletterFrom(t, st, res) {
		t.Fatal("the result went, but not to deadletter")
	}
	if !logs.has(`"level":"warn"`, `"task_id":"`+run.Task+`"`, `"schedule":"tick"`) {
		t.Fatalf("no warning with the run's task_id and schedule in:\n%s", logs.String())
	}
}

// lockedLog is a log that the scheduler writes while a test reads it.
type lockedLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// shownOnFailure returns a log that the test prints if it fails.
func shownOnFailure(t *testing.T) *lockedLog {
	logs := new(lockedLog)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	return logs
}

// withLog has a scheduler log into logs, each line naming it (who).
func withLog(logs *lockedLog, who string) func(*Config) {
	return func(c *Config) { c.Log = zerolog.New(logs).With().Str("who", who).Logger() }
}

// hourlySoon adds the schedule "hourly", whose one slot an hour comes a few
// seconds from now (nothing else fires meanwhile), and returns the task id
// of that slot's firing.
func hourlySoon(t *testing.T, st *store.Store) string {
	t.Helper()
	slot := time.Now().UTC().Truncate(time.Second).Add(6 * time.Second)
	addSchedule(t, st, &store.Schedule{Name: "hourly", Cron: fmt.Sprintf("%d %d * * * *", slot.Second(), slot.Minute()),
		Catchup: store.CatchupAll, StartingDeadline: store.MillisOf(10 * time.Minute)})
	created := readSchedule(t, st, "hourly").CreatedAt
	return store.SlotTaskID("hourly@"+strconv.FormatInt(created.UnixNano(), 10), slot, 0)
}

// firingLostThenExpired loses the reply of the firing of id through px,
// once it has landed, and cuts px off until the firing scheduler's session
// has expired (its election znode gone).
func firingLostThenExpired(t *testing.T, st *store.Store, px *drovertest.Proxy, id string) {
	t.Helper()
	px.DropRepliesAfter([]byte(id))
	drovertest.WaitFor(t, 20*time.Second, "the firing committed, its reply dropped", func() bool {
		ok, _, err := st.Exists(st.Layout().QueueItem(id))
		return err == nil && ok && px.Dropping() && readSchedule(t, st, "hourly").Fired == 1
	})
	px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "the session expired (its election znode gone)", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})
}

// has reports whether one line of the log holds every one of parts.
func (l *lockedLog) has(parts ...string) bool { return l.count(parts...) > 0 }

// count counts the lines of the log that hold every one of parts.
func (l *lockedLog) count(parts ...string) int {
	n := 0
	for _, line := range strings.Split(l.String(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

func TestSchedulePausedFiresNothing(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Suspended: true})
	addSchedule(t, st, &store.Schedule{Name: "witness", Cron: "* * * * * *"})
	drovertest.WaitFor(t, 10*time.Second, "witness fires twice", func() bool { return readSchedule(t, st, "witness").Fired >= 2 })
	if rec := readSchedule(t, st, "tick"); rec.Fired != 0 {
		t.Fatalf("a suspended schedule fired %d times", rec.Fired)
	}
}

func TestMalformedScheduleIsQuarantined(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	if err := st.Create(st.Layout().Schedule("junk"), []byte(`{"v":1,"name":"junk","cron":"not a spec","task":{"cmd":["x"]}}`)); err != nil {
		t.Fatal(err)
	}
	goneThenFires(t, st, "junk", "ok") // moved to deadletter, and the leader still fires
}

// goneThenFires waits until schedule gone's znode is gone, then adds
// schedule next, due every second, and waits for it to fire.
func goneThenFires(t *testing.T, st *store.Store, gone, next string) {
	t.Helper()
	drovertest.WaitFor(t, 10*time.Second, gone+" gone", func() bool { return !scheduleExists(t, st, gone) })
	addSchedule(t, st, &store.Schedule{Name: next, Cron: "* * * * * *"})
	drovertest.WaitFor(t, 10*time.Second, next+" fired", func() bool { return readSchedule(t, st, next).Fired >= 1 })
}

// TestScheduleRemovedAndAddedWhileFiring: a schedule removed and added again
// between its firing's preparation and the commit keeps the new record. With
// the record deleted and created anew, both were at version 0, and the stale
// firing wrote the old record, with its command, over the new one.
func TestScheduleRemovedAndAddedWhileFiring(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	var once sync.Once
	testHookFire = func() {
		once.Do(func() {
			if err := st.RemoveSchedule("again"); err != nil {
				t.Error(err)
				return
			}
			rec := &store.Schedule{Name: "again", Cron: "* * * * * *", Catchup: store.CatchupNone,
				Task: store.Task{Cmd: []string{"echo", "new"}}, CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10}
			if err := st.AddSchedule(rec); err != nil { // in the leader's loop: no t.Fatal
				t.Error(err)
			}
		})
	}
	t.Cleanup(func() { testHookFire = nil })
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "again", Cron: "* * * * * *", Task: store.Task{Cmd: []string{"echo", "old"}}})
	var rec *store.Schedule
	drovertest.WaitFor(t, 10*time.Second, "a slot fired", func() bool {
		data, _, err := st.Get(st.Layout().Schedule("again")) // tolerant: rm once deleted the record
		if err != nil {
			return false
		}
		rec, err = store.DecodeSchedule(data)
		return err == nil && rec.Fired >= 1
	})
	if got := strings.Join(rec.Task.Cmd, " "); got != "echo new" {
		t.Fatalf("the schedule added again runs %q", got)
	}
	for _, r := range rec.Active {
		task, _, err := st.LookupTask(r.Task)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(task.Cmd, " "); got != "echo new" {
			t.Fatalf("slot %v ran %q", r.Slot, got)
		}
	}
}

// TestRemovedScheduleTombstoneIsDeleted: the leader deletes a removed
// schedule's tombstone once it is old (here at once), a name removed twice
// is not there to remove, and the name can be taken again after.
func TestRemovedScheduleTombstoneIsDeleted(t *testing.T) {
	tombstoneAge = 0
	t.Cleanup(func() { tombstoneAge = time.Hour })
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "gone", Cron: "@yearly"})
	if err := st.RemoveSchedule("gone"); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveSchedule("gone"); !errors.Is(err, store.ErrNoSchedule) {
		t.Fatalf("removed twice: %v, want ErrNoSchedule", err)
	}
	goneThenFires(t, st, "gone", "gone") // the tombstone deleted, and the name added again fires
}

// TestTombstoneSweep: a tombstone is deleted only once it is tombstoneAge
// old, and only by a leader whose fence holds: a deposed leader deleting one
// the leader has not read yet would let the leader's firing prepared from
// the old record meet a new one at an equal version.
func TestTombstoneSweep(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	for _, name := range []string{"young", "old"} {
		addAndRemove(t, st, name)
	}
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	exists := func(name string) bool { return scheduleExists(t, st, name) }
	sweep := func(fence string) error {
		l := newLeader(s, &Term{Fence: fence}, 1)
		defer l.stop()
		if err := l.syncSchedules(); err != nil {
			t.Fatal(err)
		}
		if len(l.tombstones) != 2 || len(l.schedules) != 0 {
			t.Fatalf("view: %d tombstones, %d schedules; want 2 and 0", len(l.tombstones), len(l.schedules))
		}
		old := l.tombstones["old"]
		old.written = old.written.Add(-tombstoneAge)
		l.tombstones["old"] = old
		return l.sweepTombstones()
	}
	if err := sweep(st.Layout().Election() + "/gone"); !errors.Is(err, store.ErrFenced) || !exists("old") {
		t.Fatalf("a deposed leader's sweep: %v, tombstone left: %v", err, exists("old"))
	}
	if err := sweep(st.Layout().Schedules()); err != nil {
		t.Fatal(err)
	}
	if exists("old") || !exists("young") {
		t.Fatalf("after the sweep: old there %v, young there %v; want false, true", exists("old"), exists("young"))
	}
}

// The buckets of a schedule's next slot are made before the slot comes, so
// that firing it is one transaction; two schedules share them.
func TestScheduleSlotBucketsMadeAhead(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1") // no worker: the runs stay queued, and so their buckets
	names := []string{"tick", "tock"}
	for _, name := range names {
		addSchedule(t, st, &store.Schedule{Name: name, Cron: "* * * * * *", Concurrency: store.ConcurrencyAllow})
	}
	drovertest.WaitFor(t, 10*time.Second, "three slots fired each", func() bool {
		return readSchedule(t, st, "tick").Fired >= 3 && readSchedule(t, st, "tock").Fired >= 3
	})
	for _, name := range names {
		rec := readSchedule(t, st, name)
		// The first slot may have come before the leader read the schedule.
		for _, r := range rec.Active[1:] {
			b1, b2 := store.Bucket(r.Task)
			for _, dir := range []string{st.Layout().QueueBucket(b1, b2), st.Layout().ResultBucket(b1, b2)} {
				ok, stat, err := st.Exists(dir)
				if err != nil || !ok {
					t.Fatalf("%s: bucket %s of slot %v: exists=%v err=%v", name, dir, r.Slot, ok, err)
				}
				if !stat.Ctime.Before(r.Slot) {
					t.Errorf("%s: bucket %s of slot %v made at %v, not before it", name, dir, r.Slot, stat.Ctime)
				}
			}
		}
	}
}

// addAligned adds n schedules, named aligned-000 on, that all fire once, at
// the whole second after at, and returns their names.
func addAligned(t *testing.T, st *store.Store, n int, at time.Time) []string {
	t.Helper()
	slot := at.UTC().Truncate(time.Second).Add(time.Second)
	spec := fmt.Sprintf("%d %d %d %d %d *", slot.Second(), slot.Minute(), slot.Hour(), slot.Day(), int(slot.Month()))
	names := make([]string, n)
	errs := make([]error, n)
	store.Pipelined(n, func(i int) {
		names[i] = fmt.Sprintf("aligned-%03d", i)
		rec := &store.Schedule{Name: names[i], Cron: spec, TZ: "UTC", Concurrency: store.ConcurrencyAllow, Catchup: store.CatchupNone,
			CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}}}
		data, err := store.Encode(rec)
		if err == nil {
			err = st.Create(st.Layout().Schedule(names[i]), data)
		}
		errs[i] = err
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return names
}

// waitFired waits until each schedule named has fired once, and returns the
// ids of their runs.
func waitFired(t *testing.T, st *store.Store, names []string) []string {
	t.Helper()
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = st.Layout().Schedule(name)
	}
	var ids []string
	drovertest.WaitFor(t, 20*time.Second, "every schedule fired", func() bool {
		ids = ids[:0]
		for _, r := range st.GetMany(paths) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			rec, err := store.DecodeSchedule(r.Data)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Fired != 1 || len(rec.Active) != 1 {
				return false
			}
			ids = append(ids, rec.Active[0].Task)
		}
		return true
	})
	return ids
}

// TestRunsReadAheadOfTheSlot: the outcome of a schedule's last run is read
// before its next slot, off the loop, and the firing files what was read
// then. (Reading each schedule's last run in the firing made 5,000
// schedules on one slot fire in 2.1 – 3.0 s instead of 0.8 – 0.9.) The run's
// result is deleted after it was read ahead: filed at the firing, the run
// would be "gone".
func TestRunsReadAheadOfTheSlot(t *testing.T) {
	refreshAhead = 3 * time.Second // slots 8 s apart qualify
	t.Cleanup(func() { refreshAhead = 10 * time.Second })
	read := make(chan *store.Schedule, 16)
	testHookRefreshed = func(rec *store.Schedule) { read <- cloneSchedule(rec) }
	t.Cleanup(func() { testHookRefreshed = nil })
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w", 4, nil)
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "a leader", s.IsLeader)
	// Two slots 8 s apart, the first 2 – 3 s ahead, in one minute.
	slot := time.Now().UTC().Truncate(time.Second).Add(3 * time.Second)
	if slot.Second() > 50 {
		slot = slot.Truncate(time.Minute).Add(time.Minute)
	}
	spec := fmt.Sprintf("%d,%d %d %d %d %d *", slot.Second(), slot.Second()+8, slot.Minute(), slot.Hour(), slot.Day(), int(slot.Month()))
	addSchedule(t, st, &store.Schedule{Name: "pair", Cron: spec, TZ: "UTC", Concurrency: store.ConcurrencyAllow})
	var first []string
	drovertest.WaitFor(t, 30*time.Second, "the first run placed", func() bool { first = w.assignments(t); return len(first) == 1 })
	w.finish(t, first[0])
	var rec *store.Schedule
	select {
	case rec = <-read:
	case <-time.After(30 * time.Second):
		t.Fatal("the first run's outcome was not read ahead of the second slot")
	}
	if len(rec.Active) != 0 || len(rec.Succeeded) != 1 || rec.Fired != 1 {
		t.Fatalf("read ahead: active %v, succeeded %v, fired %d", rec.Active, rec.Succeeded, rec.Fired)
	}
	run := rec.Succeeded[0].Task
	if err := st.Delete(st.Layout().Result(run), -1); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 30*time.Second, "the second slot fired", func() bool { return readSchedule(t, st, "pair").Fired == 2 })
	rec = readSchedule(t, st, "pair")
	if len(rec.Succeeded) != 1 || rec.Succeeded[0].Task != run || rec.Succeeded[0].State != store.StateSucceeded {
		t.Fatalf("the first run filed as %+v (succeeded %v)", rec.Skipped, rec.Succeeded)
	}
}

// TestNextCronFollowsChanges: nextCron keeps its pass over the schedules
// until one changes, and sees each change at once, the clock standing still.
func TestNextCronFollowsChanges(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	l := &leader{schedules: map[string]*cronEntry{}, carried: (&Scheduler{}).carried(), now: func() time.Time { return now }}
	read := func(spec string, suspended bool) scheduleRead {
		data, err := store.Encode(&store.Schedule{Name: "s", Cron: spec, TZ: "UTC", Catchup: store.CatchupNone,
			Concurrency: store.ConcurrencyAllow, Suspended: suspended, CreatedAt: now.Add(-time.Hour), LastSlot: now.Add(-time.Minute),
			Task: store.Task{Cmd: []string{"true"}}})
		if err != nil {
			t.Fatal(err)
		}
		return scheduleRead{data: data}
	}
	if next := l.nextCron(); !next.IsZero() {
		t.Fatalf("no schedule: next %v", next)
	}
	for _, c := range []struct {
		spec      string
		suspended bool
		want      time.Time
	}{
		{"0 * * * *", false, now.Truncate(time.Hour).Add(time.Hour)},
		{"45 * * * *", false, now.Truncate(time.Hour).Add(45 * time.Minute)},
		{"45 * * * *", true, time.Time{}},
	} {
		if err := l.applySchedule("s", read(c.spec, c.suspended)); err != nil {
			t.Fatal(err)
		}
		if next := l.nextCron(); !next.Equal(c.want) {
			t.Fatalf("%s (suspended %v): next %v, want %v", c.spec, c.suspended, next, c.want)
		}
	}
	l.schedules = map[string]*cronEntry{}
	l.changed()
	if next := l.nextCron(); !next.IsZero() {
		t.Fatalf("schedule gone: next %v", next)
	}
}

func TestRefreshable(t *testing.T) {
	last := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	run := []store.ScheduleRun{{Slot: last, Task: store.SlotTaskID("x", last, 0)}}
	entry := func(concurrency string, active []store.ScheduleRun, next time.Time) *cronEntry {
		return &cronEntry{rec: &store.Schedule{Concurrency: concurrency, Active: active, LastSlot: last}, next: next}
	}
	hourly := last.Add(time.Hour)
	done := entry(store.ConcurrencyAllow, run, hourly)
	done.refreshed = hourly
	for _, c := range []struct {
		name string
		e    *cronEntry
		want bool
	}{
		{"allow, a run active, an hour on", entry(store.ConcurrencyAllow, run, hourly), true},
		{"forbid", entry(store.ConcurrencyForbid, run, hourly), false},
		{"replace", entry(store.ConcurrencyReplace, run, hourly), false},
		{"no run active", entry(store.ConcurrencyAllow, nil, hourly), false},
		{"slots 14 s apart", entry(store.ConcurrencyAllow, run, last.Add(14*time.Second)), false},
		{"suspended", entry(store.ConcurrencyAllow, run, time.Time{}), false},
		{"read ahead already", done, false},
	} {
		if got := refreshable(c.e); got != c.want {
			t.Errorf("%s: refreshable %v, want %v", c.name, got, c.want)
		}
	}
}

// fireAligned runs a scheduler with no worker (the runs stay queued), makes
// n schedules that share a slot a few seconds ahead, and returns the store
// and their runs' ids once every one has fired.
func fireAligned(t *testing.T, n int) (*store.Store, []string) {
	t.Helper()
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "a leader", s.IsLeader)
	return st, waitFired(t, st, addAligned(t, st, n, time.Now().Add(3*time.Second)))
}

// TestRefreshRunsFilesEachOutcome: runs whose results are read in chunks
// are each filed by their own result: succeeded, failed, unreadable,
// replaced (cancelled by a replace slot: not a failure), or still active
// when there is none.
func TestRefreshRunsFilesEachOutcome(t *testing.T) {
	refreshChunk = 2
	t.Cleanup(func() { refreshChunk = 1024 })
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	slot := time.Now().UTC().Truncate(time.Second)
	var runs []store.ScheduleRun
	for i, state := range []store.State{store.StateSucceeded, store.StateFailed, "", store.StateSucceeded, "garbage", store.StateCancelled} {
		id := store.SlotTaskID("x", slot.Add(time.Duration(i)*time.Second), 0)
		runs = append(runs, store.ScheduleRun{Slot: slot, Task: id})
		switch state {
		case "":
			continue // no result yet
		case "garbage":
			if err := st.EnsurePath(st.Layout().Result(id)); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Set(st.Layout().Result(id), []byte("{not json"), -1); err != nil {
				t.Fatal(err)
			}
			continue
		}
		task := &store.Task{ID: id, Cmd: []string{"true"}, State: state, Attempt: 1, SubmittedAt: slot}
		if state == store.StateCancelled {
			task.Error = store.ReasonReplaced
		}
		if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
			t.Fatal(err)
		}
	}
	rec := &store.Schedule{Name: "x", KeepSucceeded: 10, KeepFailed: 10, Active: runs}
	if err := RefreshRuns(context.Background(), st, nil, rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Active) != 1 || rec.Active[0].Task != runs[2].Task {
		t.Errorf("active %v, want only %s", rec.Active, runs[2].Task)
	}
	if len(rec.Succeeded) != 2 || rec.Succeeded[0].Task != runs[0].Task || rec.Succeeded[1].Task != runs[3].Task {
		t.Errorf("succeeded %v", rec.Succeeded)
	}
	if len(rec.Failed) != 1 || rec.Failed[0].Task != runs[1].Task || rec.Failed[0].State != store.StateFailed {
		t.Errorf("failed %v", rec.Failed)
	}
	if len(rec.Skipped) != 2 || rec.Skipped[0].Task != runs[4].Task || rec.Skipped[0].Reason != "result unreadable" ||
		rec.Skipped[1] != (store.ScheduleRun{Slot: slot, Task: runs[5].Task, State: store.StateCancelled, Reason: store.ReasonReplaced}) {
		t.Errorf("skipped %v", rec.Skipped)
	}
}

// A reader given up on (an API request whose client went) stops reading the
// runs' results, and files none: it held its read slot until every result
// was read.
func TestRefreshRunsStopsOnceItsContextIsDone(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	id := store.SlotTaskID("x", time.Now().UTC().Truncate(time.Second), 0)
	task := &store.Task{ID: id, Cmd: []string{"true"}, State: store.StateSucceeded, Attempt: 1, SubmittedAt: time.Now().UTC()}
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
		t.Fatal(err)
	}
	rec := &store.Schedule{Name: "x", KeepSucceeded: 10, KeepFailed: 10, Active: []store.ScheduleRun{{Task: id}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := RefreshRuns(ctx, st, nil, rec); !errors.Is(err, context.Canceled) {
		t.Errorf("refresh with its context done: %v, want context.Canceled", err)
	}
	if len(rec.Active) != 1 || len(rec.Succeeded) != 0 {
		t.Errorf("active %v, succeeded %v: filed though given up on", rec.Active, rec.Succeeded)
	}
}

// TestAlignedSchedulesShareTransactions: schedules due at the same slot fire
// in a few transactions, not one each. 1,000 schedules on one slot held the
// leader's loop for 1.3 – 2 s, one firing after another, and the last ones
// missed their starting deadline.
func TestAlignedSchedulesShareTransactions(t *testing.T) {
	const n = 120
	st, ids := fireAligned(t, n)
	txns := map[int64]bool{}
	for _, id := range ids {
		_, stat, err := st.Get(st.Layout().QueueItem(id))
		if err != nil {
			t.Fatal(err)
		}
		txns[stat.Czxid] = true
	}
	// Three operations a firing, at most MaxBatch a transaction: 4.
	if len(txns) > n/20 {
		t.Fatalf("%d schedules fired in %d transactions", n, len(txns))
	}
}

// TestAlignedSchedulesSpillIntoLaterBuckets: a slot's tasks take ids of the
// slot's time, so every schedule sharing a slot put its task into one queue
// and result bucket, whatever their number, past MaxBucketTasks and toward
// jute.maxbuffer. Beyond slotsPerBucket they go into the buckets after.
func TestAlignedSchedulesSpillIntoLaterBuckets(t *testing.T) {
	slotsPerBucket = 50
	t.Cleanup(func() { slotsPerBucket = store.SlotTasksPerBucket })
	const n = 120
	st, ids := fireAligned(t, n)
	buckets := map[string]int{}
	for _, id := range ids {
		b1, b2 := store.Bucket(id)
		buckets[b1+"/"+b2]++
	}
	if len(buckets) != 3 {
		t.Fatalf("%d tasks of one slot in buckets %v, want 50, 50 and 20", n, buckets)
	}
	for b, k := range buckets {
		names, err := st.Children(st.Layout().QueueBucket(b[:6], b[7:]))
		if err != nil {
			t.Fatal(err)
		}
		if k > slotsPerBucket || len(names) != k {
			t.Fatalf("bucket %s: %d slot tasks, %d queued", b, k, len(names))
		}
	}
}

// TestSlotIDCountsWhatIsQueued: a term's first slot task into a bucket
// counts what the view holds queued there (an earlier term's slot tasks,
// after a takeover in the middle of a slot), not only its own; and the
// counts stay while they are used, however old the slot (a catch-up).
func TestSlotIDCountsWhatIsQueued(t *testing.T) {
	slot := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	b1, b2 := store.Bucket(store.IDAt(slot))
	now := slot.Add(time.Hour)
	l := &leader{slotFill: map[string]slotCount{}, byBucket: map[string]map[string]*queued{b1 + b2: {}}, now: func() time.Time { return now }}
	for i := range slotsPerBucket - 1 {
		l.byBucket[b1+b2][fmt.Sprint(i)] = &queued{}
	}
	rec := &store.Schedule{Name: "hourly"}
	bucketOf := func(id string) string { b1, b2 := store.Bucket(id); return b1 + b2 }
	if id := l.slotID(rec, slot); bucketOf(id) != b1+b2 {
		t.Fatalf("the last room in the slot's bucket: %s went to bucket %s", id, bucketOf(id))
	}
	next := bucketOf(store.IDAt(slot.Add(store.BucketWindow)))
	if id := l.slotID(rec, slot); bucketOf(id) != next {
		t.Fatalf("with the slot's bucket full: %s went to bucket %s, want %s", id, bucketOf(id), next)
	}
	now = now.Add(30 * time.Second)
	l.forgetSlotFill(now)
	if id := l.slotID(rec, slot); bucketOf(id) != next {
		t.Fatalf("30 s on: %s went to bucket %s, want %s", id, bucketOf(id), next)
	}
	l.forgetSlotFill(now.Add(2 * time.Minute))
	if len(l.slotFill) != 0 {
		t.Fatalf("counts kept a minute after their last use: %v", l.slotFill)
	}
}

// TestAlignedSchedulesOneChangedMeanwhile: when one schedule of a shared
// transaction is changed between its firing's preparation and the commit,
// the others still fire their slot, and the changed one follows its change.
func TestAlignedSchedulesOneChangedMeanwhile(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const paused = "aligned-007"
	var once sync.Once
	testHookFire = func() { once.Do(func() { suspendSchedule(t, st, paused) }) }
	t.Cleanup(func() { testHookFire = nil })
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "a leader", s.IsLeader)
	names := addAligned(t, st, 40, time.Now().Add(3*time.Second))
	others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == paused })
	waitFired(t, st, others)
	if rec := readSchedule(t, st, paused); rec.Fired != 0 || !rec.Suspended {
		t.Fatalf("paused meanwhile: fired %d, suspended %v", rec.Fired, rec.Suspended)
	}
}

// TestFencedFiringIsNotAChange: a firing refused by its fence ends the term;
// taken for a schedule changed meanwhile (a failed fence wraps ErrNoNode
// too), it was retried and its schedule read again, round after round.
func TestFencedFiringIsNotAChange(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	p := st.Layout().Schedule("x")
	if err := st.EnsurePath(p); err != nil {
		t.Fatal(err)
	}
	fenced := st.Txn().Fence(p+"-gone", -1).Set(p, nil, -1).Commit()
	if !errors.Is(fenced, store.ErrFenced) || changedUnderUs(fenced) {
		t.Fatalf("fenced: %v, changed under us: %v", fenced, changedUnderUs(fenced))
	}
	changed := st.Txn().Fence(p, -1).Set(p, nil, 7).Commit()
	if !changedUnderUs(changed) {
		t.Fatalf("a set at a stale version: %v, not taken for a change", changed)
	}
}

// TestCatchUpOfALargeTemplateFiresInParts: slots due together whose tasks
// would not fit in one request (catch-up all, a 150 KB payload) fire over
// several transactions. In one, ZooKeeper dropped the connection, and the
// leader rebuilt its view and fired again, for ever.
func TestCatchUpOfALargeTemplateFiresInParts(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	addSchedule(t, st, &store.Schedule{Name: "big", Cron: "* * * * * *", TZ: "UTC", Concurrency: store.ConcurrencyAllow, Catchup: store.CatchupAll,
		CreatedAt: time.Now().UTC().Add(-6 * time.Second), Task: store.Task{Handler: "h", Payload: make([]byte, 150*1024)}})
	runScheduler(t, st, "s1") // takes over with six slots or more due
	drovertest.WaitFor(t, 20*time.Second, "the missed slots fired", func() bool { return readSchedule(t, st, "big").Fired >= 6 })
	if got := readSchedule(t, st, "big"); len(got.Skipped) != 0 {
		t.Fatalf("slots not fired: %v", got.Skipped)
	}
}

// TestReplaceCatchUpRunsOnlyTheNewest: with concurrency replace, slots due
// together start only the newest. Each was enqueued, and the older ones
// were only filed as cancelled: they all ran. With a large template the
// firing was cut into parts of one slot each, round after round, each
// replacing the last.
func TestReplaceCatchUpRunsOnlyTheNewest(t *testing.T) {
	for _, payload := range []int{0, 150 * 1024} {
		t.Run(fmt.Sprintf("payload %d", payload), func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			addSchedule(t, st, &store.Schedule{Name: "rep", Cron: "* * * * * *", TZ: "UTC", Concurrency: store.ConcurrencyReplace, Catchup: store.CatchupAll,
				CreatedAt: time.Now().UTC().Add(-6 * time.Second), Task: store.Task{Handler: "h", Payload: make([]byte, payload)}})
			_, stop := runScheduler(t, st, "s1") // no worker: runs stay queued until replaced
			drovertest.WaitFor(t, 20*time.Second, "slots fired", func() bool { return readSchedule(t, st, "rep").Fired >= 2 })
			stop() // no firing while the queue is walked
			replaced := 0
			for _, r := range readSchedule(t, st, "rep").Skipped {
				if strings.Contains(r.Reason, "replaced by a newer slot") {
					replaced++
				}
			}
			if replaced < 5 {
				t.Errorf("%d of the 6 slots due at takeover filed as replaced, want 5", replaced)
			}
			queued := 0
			q := st.Layout().Queue()
			b1s, err := st.Children(q)
			if err != nil {
				t.Fatal(err)
			}
			for _, b1 := range b1s {
				b2s, _ := st.Children(q + "/" + b1)
				for _, b2 := range b2s {
					ids, _ := st.Children(q + "/" + b1 + "/" + b2)
					queued += len(ids)
				}
			}
			if queued != 1 {
				t.Fatalf("%d runs queued, want the newest alone", queued)
			}
		})
	}
}

// largeRuns queues four runs of a 240 KB template (a handler's task), as
// a replace schedule's active runs.
func largeRuns(t *testing.T, st *store.Store) (tmpl store.Task, runs []*store.Task, active []store.ScheduleRun) {
	t.Helper()
	tmpl = store.Task{Handler: "h", Payload: make([]byte, 180*1024)}
	for range 4 {
		run := tmpl.Clone()
		run.ID, run.SubmittedAt = ulid.Make().String(), time.Now().UTC()
		runs = append(runs, run)
		active = append(active, store.ScheduleRun{Slot: time.Now().UTC(), Task: run.ID})
	}
	if _, err := st.Submit(context.Background(), runs); err != nil {
		t.Fatal(err)
	}
	return tmpl, runs, active
}

// TestReplaceOfManyLargeRunsFires: a replace schedule whose firing would
// cancel four runs of a 240 KB template (1.4 MB in one request, past
// jute.maxbuffer) cancels them ahead and fires. Before, ZooKeeper dropped
// the connection at every try, and nothing fired again.
func TestReplaceOfManyLargeRunsFires(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	tmpl, runs, active := largeRuns(t, st)
	addSchedule(t, st, &store.Schedule{Name: "rep", Cron: "* * * * * *", TZ: "UTC", Concurrency: store.ConcurrencyReplace,
		Task: tmpl, Active: active})
	runScheduler(t, st, "s1") // no worker: the runs stay queued until replaced
	drovertest.WaitFor(t, 20*time.Second, "the slot fired", func() bool { return readSchedule(t, st, "rep").Fired >= 1 })
	for _, run := range runs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := st.WaitResult(ctx, run.ID)
		cancel()
		if err != nil || res.State != store.StateCancelled {
			t.Fatalf("replaced run %s: %+v %v", run.ID, res, err)
		}
	}
}

// TestRunsStayWhenTheReplacingScheduleIsPaused: a schedule paused as its
// firing cancels the runs it replaces ahead keeps them: its slot does not
// fire, and nothing would replace them.
func TestRunsStayWhenTheReplacingScheduleIsPaused(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	tmpl, runs, active := largeRuns(t, st)
	var paused atomic.Bool
	testHookCancelAhead = func() {
		if !paused.Swap(true) {
			suspendSchedule(t, st, "rep")
		}
	}
	t.Cleanup(func() { testHookCancelAhead = nil })
	addSchedule(t, st, &store.Schedule{Name: "rep", Cron: "* * * * * *", TZ: "UTC", Concurrency: store.ConcurrencyReplace,
		Task: tmpl, Active: active})
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "the firing tried", paused.Load)
	// The leader has read the paused record once its loop passes over it
	// again: a slot later, nothing fired and every run is still queued.
	drovertest.WaitFor(t, 20*time.Second, "a slot past the pause", func() bool {
		return time.Since(readSchedule(t, st, "rep").CreatedAt) > 3*time.Second
	})
	if rec := readSchedule(t, st, "rep"); rec.Fired != 0 {
		t.Fatalf("a paused schedule fired %d", rec.Fired)
	}
	for _, run := range runs {
		if ok, _, err := st.Exists(st.Layout().QueueItem(run.ID)); err != nil || !ok {
			t.Fatalf("run %s no longer queued (%v)", run.ID, err)
		}
	}
}

// TestOwnWritesAreNotReadAgain: a schedule's watch event for a record at the
// view's version (the leader's own write: every schedule a firing wrote comes
// back as one) keeps the view's entry, without reading the record or counting
// a change; a write by anyone else is read, and a refire always reads.
func TestOwnWritesAreNotReadAgain(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	addSchedule(t, st, &store.Schedule{Name: "own", Cron: "@yearly"})
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Election() + "/none"}, 1)
	defer l.stop()
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	e := l.schedules["own"]
	p := st.Layout().Schedule("own")
	write := func(rec *store.Schedule, version int32) {
		t.Helper()
		data, err := store.Encode(rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Set(p, data, version); err != nil {
			t.Fatal(err)
		}
	}
	reread := func() *cronEntry {
		t.Helper()
		delete(l.watched, p) // as the watch's firing does
		seq := l.cronSeq
		r := l.readSchedules([]string{"own"})[0]
		if err := l.applySchedule("own", r); err != nil {
			t.Fatal(err)
		}
		if r.same != (l.cronSeq == seq) {
			t.Fatalf("same %v, but change counted %v", r.same, l.cronSeq != seq)
		}
		return l.schedules["own"]
	}

	// The leader's own write, as applyFiring takes it in.
	own := cloneSchedule(e.rec)
	own.Fired = 7
	write(own, e.version)
	e.rec, e.version = own, e.version+1
	if got := reread(); got != e {
		t.Fatalf("own write read again: entry %p, want %p", got, e)
	}

	// Someone else's.
	paused := cloneSchedule(own)
	paused.Suspended = true
	write(paused, e.version)
	got := reread()
	if got == e || !got.rec.Suspended || got.version != e.version+1 {
		t.Fatalf("a pause not read: %+v at %d", got.rec, got.version)
	}

	// A refire reads the record, unchanged as it is.
	if err := l.refire(got); err != nil {
		t.Fatal(err)
	}
	if again := l.schedules["own"]; again == got || again.version != got.version {
		t.Fatalf("refire kept the entry: %p (version %d), was %p (version %d)", again, again.version, got, got.version)
	}
}

// clockedLeader is a term's leader on st that no loop runs, its clock
// clock's time, its view of the schedules read: a test drives its firings
// (fireDue) by moving the clock.
func clockedLeader(t *testing.T, st *store.Store, clock *atomic.Pointer[time.Time]) *leader {
	t.Helper()
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t), Now: func() time.Time { return *clock.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Schedules()}, 1)
	t.Cleanup(l.stop)
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestScheduleCreatedAgainAtAnEqualVersion: a schedule deleted by hand (or
// by an older Drover's rm) and added again comes back at version 0. Taken
// for the leader's own write by its version alone, it kept the old record
// in the view, and the next firing wrote it, old command and all, over the
// new one. (Found by helper-12's review.)
func TestScheduleCreatedAgainAtAnEqualVersion(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	t0 := time.Now().UTC().Truncate(time.Second).Add(-100 * time.Millisecond)
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	addSchedule(t, st, &store.Schedule{Name: "x", Cron: "* * * * * *", CreatedAt: t0, Task: store.Task{Cmd: []string{"echo", "old"}}})
	l := clockedLeader(t, st, &clock)
	p := st.Layout().Schedule("x")
	if e := l.schedules["x"]; e == nil || e.version != 0 {
		t.Fatalf("view: %+v", e)
	}
	// By hand: delete, and add again with another command.
	if err := st.Delete(p, -1); err != nil {
		t.Fatal(err)
	}
	addSchedule(t, st, &store.Schedule{Name: "x", Cron: "* * * * * *", CreatedAt: t0, Task: store.Task{Cmd: []string{"echo", "new"}}})
	// The event, as handleAll takes it.
	l.fired(p)
	r := l.readSchedules([]string{"x"})[0]
	if err := l.applySchedule("x", r); err != nil {
		t.Fatal(err)
	}
	if r.same {
		t.Fatalf("a record created again at version %d taken for the view's", r.stat.Version)
	}
	// A slot comes.
	t1 := t0.Add(1100 * time.Millisecond)
	clock.Store(&t1)
	if err := l.fireDue(); err != nil {
		t.Fatal(err)
	}
	rec := readSchedule(t, st, "x")
	if got := strings.Join(rec.Task.Cmd, " "); got != "echo new" {
		t.Fatalf("the schedule added again now runs %q (fired %d)", got, rec.Fired)
	}
}

// A replace firing files each run it replaces as what it found: cancelled
// when it cancels it, its own end when the run ended between the look at
// the runs and the firing (it was filed as cancelled), and gone when the run
// is nowhere. (Found by review.)
func TestReplaceFilesRunsAsFound(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	l, _, _ := termOf(t, st)
	// queued waits out a retry's backoff: its cancellation must not keep
	// the not_before (a drover cancel drops it, and the JSON says it is the
	// backoff of a retry to come).
	queued := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC(),
		NotBefore: time.Now().Add(time.Hour).UTC()}
	ended := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{queued, ended}); err != nil {
		t.Fatal(err)
	}
	succeed(t, st, ended)
	for _, c := range []struct {
		id    string
		ok    bool
		state store.State
	}{
		{queued.ID, true, ""},
		{ended.ID, false, store.StateSucceeded},
		{ulid.Make().String(), false, ""},
	} {
		op, ok, ended, err := l.cancelOp(c.id, time.Now())
		var state store.State
		if ended != nil {
			state = ended.State
		}
		if err != nil || ok != c.ok || state != c.state {
			t.Errorf("cancelOp(%s): ok %v, ended %q, %v; want %v, %q", c.id, ok, state, err, c.ok, c.state)
		}
		if ok && !op.done.NotBefore.IsZero() {
			t.Errorf("cancelOp(%s): the cancelled record keeps not_before %v", c.id, op.done.NotBefore)
		}
	}
}

// A forbid schedule at the edge of the bound its reader keeps (its record
// and a slot's task 10 bytes within MaxFiringBytes), whose run is still
// active, skips its slots in records DecodeSchedule accepts, the oldest
// runs of its history making room, and fires again once the run ends. The
// firing that queued no task grew the record by a skipped run and was
// weighed against maxFiringBytes alone: the leader wrote a record that it
// then moved to deadletter itself, and the schedule was gone.
func TestForbidSkipAtTheBoundKeepsTheScheduleFiring(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	running := submit(t, st, 1, nil)[0] // queued: no worker takes it yet
	now := time.Now().UTC()
	rec := &store.Schedule{Name: "edge", Cron: "* * * * * *", Concurrency: store.ConcurrencyForbid, Task: store.Task{Cmd: []string{"true"}},
		Active: []store.ScheduleRun{{Slot: now.Add(-time.Minute), Task: running}}}
	for i := range 10 {
		slot := now.Add(time.Duration(i-20) * time.Hour)
		rec.Succeeded = append(rec.Succeeded, store.ScheduleRun{Slot: slot, Task: store.SlotTaskID("edge", slot, 0), State: store.StateSucceeded})
	}
	rec.Catchup, rec.CreatedAt, rec.KeepSucceeded, rec.KeepFailed = store.CatchupNone, now, 10, 10
	drovertest.PadToFiringBound(t, rec, 10)
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, st, "s1")
	read := func() *store.Schedule {
		data, _, err := st.Get(st.Layout().Schedule("edge"))
		if err != nil {
			t.Fatalf("schedule edge: %v (moved to deadletter: %v)", err, deadletterFrom(t, st, st.Layout().Schedule("edge")))
		}
		r, err := store.DecodeSchedule(data)
		if err != nil {
			t.Fatalf("the leader wrote a record its reader refuses: %v", err)
		}
		return r
	}
	drovertest.WaitFor(t, 10*time.Second, "two slots skipped", func() bool { return len(read().Skipped) >= 2 })
	w := registerWorker(t, root, "w", 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "the run placed", func() bool { return len(w.assignments(t)) == 1 })
	w.finish(t, w.assignments(t)[0])
	drovertest.WaitFor(t, 10*time.Second, "a slot fired after the run ended", func() bool { return read().Fired >= 1 })
	if r := read(); len(r.Succeeded) == 0 || r.Succeeded[len(r.Succeeded)-1].Task != running {
		t.Fatalf("succeeded %+v: want the ended run filed last", r.Succeeded)
	}
}

// A schedule an earlier release wrote (its template past MaxSpecSize, no
// history yet), whose record and template DecodeSchedule accepts, 10 bytes
// within MaxFiringBytes, fires. DecodeSchedule weighs a firing as the
// record and the template; the leader's EncodeFit weighs the record and
// what the firing writes besides: the slot's task (the template with its
// id, DROVER_SCHEDULE, DROVER_SLOT, submit time), its queue paths and the
// record's path, and the record grown by the run's active entry and
// last_slot, some hundreds of bytes more. With no history to drop, every
// slot was "not fired: its firing cannot be written", logged at every
// tick, and the schedule, kept as readable, never ran again. (Found by
// review.)
func TestScheduleAtTheReadersBoundWithNoHistoryFires(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	rec := &store.Schedule{Name: "edge", Cron: "* * * * * *", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
		CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}}}
	drovertest.PadToFiringBound(t, rec, 10)
	rawSchedule(t, st, rec)
	readSchedule(t, st, "edge") // the reader keeps it
	var logs lockedLog
	s, _ := runScheduler(t, st, "s1", func(c *Config) { c.Log = zerolog.New(&logs) })
	defer func() {
		if t.Failed() {
			t.Logf("\"slot not fired\" logged %d times: %s", logs.count("slot not fired"), firstLine(logs.String(), "slot not fired"))
		}
	}()
	// The 5 s for a slot count from the leader's view, not from the
	// scheduler's start (the whole test takes 1.0 - 1.4 s in -race runs
	// beside two busy loops). The defect fires none, ever.
	drovertest.WaitFor(t, 20*time.Second, "s1 leading with its view", func() bool { return s.IsLeader() && s.Stats().ViewReady })
	drovertest.WaitFor(t, 5*time.Second, "a slot fired", func() bool { return readSchedule(t, st, "edge").Fired >= 1 })
}

// A firing of one task of a record at the bound its reader keeps, at its
// largest (under a root and a name of MaxNameLen bytes, the name's every
// byte escaped in JSON, no task name in its template, MaxActiveRuns runs
// as triggers write them, a count of 19 digits), fits maxFiringBytes, well
// within jute.maxbuffer: store.FiringSlack covers what a firing writes
// past its record's weight (store.Schedule.FiringWeight).
func TestFiringSlackCoversAFiringAtTheBound(t *testing.T) {
	st := drovertest.OpenStore(t, "/"+strings.Repeat("r", store.MaxNameLen))
	name := strings.Repeat("&", store.MaxNameLen)
	now := time.Date(2026, 12, 3, 22, 30, 0, 123456789, time.UTC)
	rec := &store.Schedule{Name: name, Cron: "* * * * * *", CreatedAt: now, Task: store.Task{Cmd: []string{"true"}}}
	for i := range store.MaxActiveRuns {
		rec.Active = append(rec.Active, store.ScheduleRun{Slot: now.Add(time.Duration(i)), Task: ulid.Make().String(), Reason: "triggered"})
	}
	rec.LastSlot, rec.Fired = now, 1<<63-1
	drovertest.PadToFiringBound(t, rec, 0)
	slot := now.Add(time.Hour).Truncate(time.Second)
	task := slotTask(rec, slot, now, store.SlotTaskID(name, slot, 0))
	rec.Active = append(rec.Active[1:], store.ScheduleRun{Slot: slot, Task: task.ID})
	rec.Record(store.ScheduleRun{Slot: now, Reason: "no longer tracked"})
	rec.LastSlot = slot
	data, err := rec.EncodeFit()
	if err != nil {
		t.Fatal(err)
	}
	txn := st.Txn().Set(st.Layout().Schedule(name), data, 0)
	if err := txn.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	if txn.Size() > maxFiringBytes {
		t.Fatalf("a firing of %d bytes, past the %d a firing may write", txn.Size(), maxFiringBytes)
	}
}

// A schedule whose firing cannot be written (its active runs, written by
// hand, take its state past what its weight leaves out, and it is at the
// bound with no history to drop: the run a firing adds has no room) is
// logged once for its record's version, not at every tick. It was logged
// at every tick, every second for a per-second schedule, for good. (Found
// by review.)
func TestUnwritableFiringIsLoggedOnce(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	running := submit(t, st, 30, nil) // queued: no worker takes them
	rec := &store.Schedule{Name: "edge", Cron: "* * * * * *", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
		CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}},
		Active: drovertest.HandWrittenRuns(running...)}
	drovertest.PadToFiringBound(t, rec, 10)
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *"})
	var logs lockedLog
	s, _ := runScheduler(t, st, "s1", func(c *Config) { c.Log = zerolog.New(&logs) })
	drovertest.WaitFor(t, 10*time.Second, "edge not fired, and tick fired 3 slots since", func() bool {
		return logs.has("slot not fired") && readSchedule(t, st, "tick").Fired >= 3
	})
	if n := logs.count("slot not fired"); n != 1 || readSchedule(t, st, "edge").Fired != 0 {
		t.Fatalf("\"slot not fired\" logged %d times, want once (edge fired %d): %s", n, readSchedule(t, st, "edge").Fired, firstLine(logs.String(), "slot not fired"))
	}
	// Counted as logged: an operator alerts on the counter, not the log.
	if n := s.Stats().Unwritable; n != 1 {
		t.Fatalf("Stats().Unwritable = %d, want 1", n)
	}
}

// firstLine is the first line of log that holds part.
func firstLine(log, part string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, part) {
			return line
		}
	}
	return ""
}

// rawSchedule writes rec as it stands straight to ZooKeeper, as a hand or
// another tool would, past the client's checks; made now unless CreatedAt
// says when.
func rawSchedule(t *testing.T, st *store.Store, rec *store.Schedule) {
	t.Helper()
	if rec.Catchup == "" {
		rec.Catchup = store.CatchupNone
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = time.Now().UTC()
	}
	rec.KeepSucceeded, rec.KeepFailed = 10, 10
	data, err := store.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(st.Layout().Schedule(rec.Name), data); err != nil {
		t.Fatal(err)
	}
}

// A schedule record written by hand whose template is too large for any
// firing to be written (a client refuses a template past MaxSpecSize; here
// the record and one slot's task outgrow maxFiringBytes) can never fire.
// It is data no release writes, and is moved aside (DecodeSchedule checks
// the template as a client does). fireAll only logged "slot not fired" and
// left it due, so it was tried and logged again at every tick, for good,
// and was in no count. (Found by review.)
func TestScheduleThatCanNeverFireIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	big := strings.Repeat("x", 450<<10)
	rawSchedule(t, st, &store.Schedule{Name: "huge", Cron: "* * * * * *",
		Task: store.Task{Cmd: []string{"true"}, Env: map[string]string{"BIG": big}}})
	runScheduler(t, st, "s1")
	goneThenFires(t, st, "huge", "ok")
	if !deadletterFrom(t, st, st.Layout().Schedule("huge")) {
		t.Fatal("the schedule went, but not to deadletter")
	}
}

// A schedule record written by hand whose template holds an env key that
// is no variable name is malformed: every task made from it is one that
// DecodeTask refuses ("BASH_ENV=x_NAME" would set BASH_ENV). DecodeSchedule
// checked the template's command and timeout but not its env, so the
// record stayed and the leader itself wrote a malformed task at every
// slot, each moved aside by whoever read it next (a worker, status),
// for good. (Found by review.)
func TestScheduleWhoseTemplateEnvKeyIsNoNameIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	rawSchedule(t, st, &store.Schedule{Name: "badenv", Cron: "* * * * * *",
		Task: store.Task{Cmd: []string{"true"}, Env: map[string]string{"BASH_ENV=x_NAME": "y"}}})
	runScheduler(t, st, "s1")
	defer func() {
		// Failed, say what the record in place fired: read as it stands,
		// past DecodeSchedule's checks.
		var rec store.Schedule
		if data, _, err := st.Get(st.Layout().Schedule("badenv")); !t.Failed() || err != nil || store.Decode(data, &rec) != nil {
			return
		}
		bad := 0
		for _, r := range rec.Active {
			if data, _, err := st.Get(st.Layout().QueueItem(r.Task)); err == nil {
				if _, err := store.DecodeTask(data); errors.Is(err, store.ErrMalformed) {
					bad++
				}
			}
		}
		t.Logf("schedule badenv still in place: it fired %d slots, %d of whose queued tasks are malformed", rec.Fired, bad)
	}()
	drovertest.WaitFor(t, 10*time.Second, "schedule badenv gone", func() bool { return !scheduleExists(t, st, "badenv") })
	if !deadletterFrom(t, st, st.Layout().Schedule("badenv")) {
		t.Fatal("the schedule went, but not to deadletter")
	}
}

// A schedule record of a newer format version (a newer release's, during
// an upgrade) is not malformed: it is left in place for the release that
// reads it, as a newer worker's registration and a newer key record are,
// and the leader goes on firing the others, logging it once, not at every
// relisting. applySchedule moved every record DecodeSchedule refused aside,
// ErrUnsupportedVersion too, so the schedule was gone from the cluster (and
// pruned from deadletter/ with the result retention). (Found by review.)
func TestScheduleOfANewerFormatIsLeftInPlace(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	p := st.Layout().Schedule("newer")
	newer := []byte(`{"v":2,"name":"newer","cron":"* * * * * *","task":{"cmd":["true"]},"created_at":"2026-01-01T00:00:00Z"}`)
	if err := st.Create(p, newer); err != nil {
		t.Fatal(err)
	}
	var logs lockedLog
	runScheduler(t, st, "s1", func(c *Config) { c.Log = zerolog.New(&logs) })
	addSchedule(t, st, &store.Schedule{Name: "ok", Cron: "* * * * * *"})
	drovertest.WaitFor(t, 10*time.Second, "ok fired", func() bool { return readSchedule(t, st, "ok").Fired >= 1 })
	// The leader read both schedules before it fired ok.
	if data, _, err := st.Get(p); err != nil || string(data) != string(newer) {
		t.Fatalf("the newer release's schedule record: %v (moved to deadletter: %v)", err, deadletterFrom(t, st, p))
	}
	// Another schedule added relists the directory: the newer record is
	// not read, nor logged, again.
	addSchedule(t, st, &store.Schedule{Name: "ok2", Cron: "* * * * * *"})
	drovertest.WaitFor(t, 10*time.Second, "ok2 fired", func() bool { return readSchedule(t, st, "ok2").Fired >= 1 })
	if n := strings.Count(logs.String(), "schedule record of a newer format"); n != 1 {
		t.Fatalf("the newer record was logged %d times, want once:\n%s", n, logs.String())
	}
}

// Schedules that earlier releases' clients accepted and wrote, in use when
// the cluster is upgraded, must go on firing: they are no data written past
// a client. DecodeSchedule checked a template with Task.Validate, which
// gained rules only this release's client applies (a DROVER_ env name,
// since 21c448c; a command with a payload, a handler with shell, since
// f96b44d), so the upgraded leader took each for malformed and moved it to
// deadletter: the schedule was gone from the cluster on upgrade. A
// `drover schedule add --env DROVER_ZK=zk1:2181 -- drover status`, which a
// scheduled job that calls drover itself needs, is one. It reads them with
// CheckFireable now. (Found by review.)
//
// The same went for a handler's template with a NUL byte in its env
// (validRun refuses it since 45fd24a, though only a command's process
// cannot take one), and for specs ParseSpec refuses since: @every under a
// second or not whole seconds (45fd24a), CRON_TZ=Local (8bc3b3a). The
// leader reads a spec with ReadSpec now, firing these as earlier leaders
// did and logging once that it reads one for compatibility only.
func TestSchedulesEarlierClientsWroteKeepFiringAfterUpgrade(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	everySecond := func(task store.Task) *store.Schedule { return &store.Schedule{Cron: "* * * * * *", Task: task} }
	old := map[string]*store.Schedule{
		// drover schedule add --env DROVER_ZK=zk1:2181 -- drover status (before 21c448c)
		"drover-env": everySecond(store.Task{V: store.FormatVersion, Name: "drover-env", Cmd: []string{"drover", "status"}, Env: map[string]string{"DROVER_ZK": "zk1:2181"}}),
		// client.AddSchedule with a command and a payload (before f96b44d)
		"cmd-payload": everySecond(store.Task{V: store.FormatVersion, Name: "cmd-payload", Cmd: []string{"true"}, Payload: []byte("x")}),
		// client.AddSchedule with a handler and shell (before f96b44d)
		"handler-shell": everySecond(store.Task{V: store.FormatVersion, Name: "handler-shell", Handler: "resize", Shell: true}),
		// client.AddSchedule with a handler, a NUL byte in its env (1ade078..45fd24a)
		"handler-nul-env": everySecond(store.Task{V: store.FormatVersion, Name: "handler-nul-env", Handler: "resize", Env: map[string]string{"SEP": "a\x00b"}}),
		// drover schedule add --cron '@every 1500ms' (before 45fd24a): fired every second
		"every-1500ms": {Cron: "@every 1500ms", Task: store.Task{V: store.FormatVersion, Name: "every-1500ms", Cmd: []string{"true"}}},
		// drover schedule add --cron 'CRON_TZ=Local 0 * * * *' --catchup last (before 8bc3b3a),
		// made two hours ago: its slot of the last hour is due
		"cron-tz-local": {Cron: "CRON_TZ=Local 0 * * * *", Catchup: store.CatchupLast, CreatedAt: time.Now().UTC().Add(-2 * time.Hour),
			Task: store.Task{V: store.FormatVersion, Name: "cron-tz-local", Cmd: []string{"true"}}},
	}
	for name, rec := range old {
		rec.Name, rec.Concurrency = name, store.ConcurrencyAllow
		rawSchedule(t, st, rec)
	}
	var logs lockedLog
	runScheduler(t, st, "s1", func(c *Config) { c.Log = zerolog.New(&logs) })
	fired := func(name string) bool {
		data, _, err := st.Get(st.Layout().Schedule(name))
		if err != nil {
			return false
		}
		var rec store.Schedule
		return store.Decode(data, &rec) == nil && rec.Fired >= 1
	}
	drovertest.WaitFor(t, 10*time.Second, "each schedule fired or gone", func() bool {
		for name := range old {
			if scheduleExists(t, st, name) && !fired(name) {
				return false
			}
		}
		return true
	})
	for _, name := range slices.Sorted(maps.Keys(old)) {
		if !fired(name) {
			t.Errorf("schedule %s, written by an earlier release's client, never fired (in place: %v, moved to deadletter: %v)",
				name, scheduleExists(t, st, name), deadletterFrom(t, st, st.Layout().Schedule(name)))
		}
	}
	if t.Failed() {
		return
	}
	// Read again after a client's write (the leader's own writes it does
	// not read again), a spec read for compatibility is not logged again:
	// a firing after the write was prepared from the record it wrote.
	var edited int64
	editSchedule(t, st, "every-1500ms", func(rec *store.Schedule) { rec.KeepFailed, edited = 11, rec.Fired })
	drovertest.WaitFor(t, 10*time.Second, "every-1500ms fired after the write", func() bool {
		rec := readSchedule(t, st, "every-1500ms")
		return rec.KeepFailed == 11 && rec.Fired > edited
	})
	for _, name := range []string{"every-1500ms", "cron-tz-local"} {
		if n := logs.count("for compatibility", `"schedule":"`+name+`"`); n != 1 {
			t.Errorf("schedule %s's spec, read for compatibility, logged %d times, want once:\n%s", name, n, logs.String())
		}
	}
}

// A schedule whose spec is read for compatibility only is logged once, not
// at every read of its record: a firing that meets a change of the record
// (a client's trigger, pause or edit at the moment a slot fires; a replace
// schedule's run ending meanwhile) reads it again from scratch (refire),
// and the warning came again with each such race (a per-second schedule
// meets them often). The leader now remembers the specs it warned of.
// (Found by review.)
func TestCompatSpecNotLoggedAgainAfterARacedFiring(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const name = "every-1500ms"
	rawSchedule(t, st, &store.Schedule{Name: name, Cron: "@every 1500ms", Concurrency: store.ConcurrencyAllow,
		Task: store.Task{V: store.FormatVersion, Name: name, Cmd: []string{"true"}}})
	var once sync.Once
	testHookFire = func() {
		once.Do(func() { editSchedule(t, st, name, func(rec *store.Schedule) { rec.KeepFailed = 11 }) })
	}
	t.Cleanup(func() { testHookFire = nil })
	var logs lockedLog
	runScheduler(t, st, "s1", func(c *Config) { c.Log = zerolog.New(&logs) })
	drovertest.WaitFor(t, 10*time.Second, name+" fired after the edit that raced its first firing", func() bool {
		rec := readSchedule(t, st, name)
		return rec.KeepFailed == 11 && rec.Fired >= 1
	})
	if n := logs.count("for compatibility", `"schedule":"`+name+`"`); n != 1 {
		t.Errorf("schedule %s's spec, read for compatibility, logged %d times, want once:\n%s", name, n, logs.String())
	}
}
