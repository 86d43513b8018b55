package scheduler

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// deadletterFrom reports whether a deadletter record holds data moved
// aside from path.
func deadletterFrom(t *testing.T, st *store.Store, path string) bool {
	t.Helper()
	names, err := st.Children(st.Layout().Deadletter())
	if err != nil && !errors.Is(err, store.ErrNoNode) {
		t.Fatal(err)
	}
	for _, n := range names {
		data, _, err := st.Get(st.Layout().Deadletter() + "/" + n)
		if err != nil {
			continue
		}
		var d store.Deadletter
		if store.Decode(data, &d) == nil && d.From == path {
			return true
		}
	}
	return false
}

// rawSchedule writes rec as it stands straight to ZooKeeper, as a hand or
// another tool would, past the client's checks.
func rawSchedule(t *testing.T, st *store.Store, rec *store.Schedule) {
	t.Helper()
	if rec.Catchup == "" {
		rec.Catchup = store.CatchupNone
	}
	rec.CreatedAt, rec.KeepSucceeded, rec.KeepFailed = time.Now().UTC(), 10, 10
	data, err := store.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(st.Layout().Schedule(rec.Name), data); err != nil {
		t.Fatal(err)
	}
}

// An assignment the leader counts that is written over with a record that
// decodes but is another task's (copied there by hand: the case
// DecodeTaskOf and checkRead's name check exist for) and outlives its
// timeout is malformed, and moved aside. withdrawOverdue decodes it with
// DecodeTask alone, never checking the name: it deletes the assignment
// (the task placed there is then nowhere, not even in deadletter) and
// queues the other record as a task nobody submitted. (Failing.)
func TestOverdueAssignmentHoldingAnotherTasksRecordIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1", func(c *Config) { c.TimeoutGrace = 100 * time.Millisecond })
	stuck := registerWorker(t, root, "stuck", 1, nil) // never runs anything
	ids := submit(t, st, 1, func(_ int, task *store.Task) { task.Timeout = store.MillisOf(time.Second) })
	drovertest.WaitFor(t, 10*time.Second, "placed on stuck", func() bool { return len(stuck.assignments(t)) == 1 })
	p := st.Layout().Assignment("stuck", ids[0], 1)
	data, _, err := st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	other, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	other.ID = ulid.Make().String() // another task's record, well formed
	if data, err = store.Encode(other); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(p, data, -1); err != nil {
		t.Fatal(err)
	}
	waitGone(t, st, 15*time.Second, p)
	if deadletterFrom(t, st, p) {
		return
	}
	_, loc, lerr := st.LookupTask(other.ID)
	_, _, aerr := st.LookupTask(ids[0])
	t.Fatalf("assignment %s, holding task %s's record, went without a deadletter record: task %s now at %q (%v); task %s: %v",
		p, other.ID, other.ID, loc.Path, lerr, ids[0], aerr)
}

// A schedule record written by hand whose template is too large for any
// firing to be written (a client refuses a template past MaxSpecSize; here
// the record and one slot's task outgrow maxFiringBytes) can never fire.
// It is data no release writes, and is moved aside; fireAll only logs
// "slot not fired" and leaves it due, so it is tried and logged again at
// every tick, for good, and is in no count. (Failing.)
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
// checks the template's command and timeout but not its env, so the
// record stays and the leader itself writes a malformed task at every
// slot, each moved aside by whoever reads it next (a worker, status),
// for good. (Failing.)
func TestScheduleWhoseTemplateEnvKeyIsNoNameIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	rawSchedule(t, st, &store.Schedule{Name: "badenv", Cron: "* * * * * *",
		Task: store.Task{Cmd: []string{"true"}, Env: map[string]string{"BASH_ENV=x_NAME": "y"}}})
	runScheduler(t, st, "s1")
	deadline := time.Now().Add(10 * time.Second)
	for scheduleExists(t, st, "badenv") {
		if time.Now().After(deadline) {
			rec := readSchedule(t, st, "badenv")
			bad := 0
			for _, r := range rec.Active {
				if data, _, err := st.Get(st.Layout().QueueItem(r.Task)); err == nil {
					if _, err := store.DecodeTask(data); errors.Is(err, store.ErrMalformed) {
						bad++
					}
				}
			}
			t.Fatalf("schedule badenv still in place after 10 s; it fired %d slots, %d of whose queued tasks are malformed", rec.Fired, bad)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition with a deadline
	}
	if !deadletterFrom(t, st, st.Layout().Schedule("badenv")) {
		t.Fatal("the schedule went, but not to deadletter")
	}
}

// A znode in a key index bucket whose name is no task id (made by hand)
// is none of Drover's: moved aside, it leaves the bucket to go with its
// results. keysOf reads only the entries of tasks with a result there, so
// it is never read nor moved, the key index bucket is never empty, and
// the result bucket, deleted only once its key index bucket is gone, stays
// too, both tried again at every pass for good. (Failing.)
func TestRetentionMovesAsideJunkInAKeyIndexBucket(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	id := finished(t, st, at, at, store.StateSucceeded)
	b1, b2 := store.Bucket(id)
	if err := st.EnsurePath(lay.KeyIndexBucket(b1, b2)); err != nil {
		t.Fatal(err)
	}
	junk := lay.KeyIndexBucket(b1, b2) + "/junk"
	if err := st.Create(junk, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	var clock atomic.Pointer[time.Time]
	set := func(t time.Time) { clock.Store(&t) }
	set(time.Now())
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return *clock.Load() }
	})
	set(time.Now().Add(2*l.s.cfg.BucketGrace + time.Minute)) // every bucket past its grace
	for range 2 {
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _, _ := st.Exists(lay.Result(id)); ok {
		t.Fatal("the old result was kept")
	}
	var left []string
	for _, p := range []string{junk, lay.KeyIndexBucket(b1, b2), lay.ResultBucket(b1, b2)} {
		if ok, _, err := st.Exists(p); err != nil || ok {
			left = append(left, p)
		}
	}
	if len(left) > 0 || !deadletterFrom(t, st, junk) {
		t.Fatalf("after two passes: left %v; junk in deadletter: %v", left, deadletterFrom(t, st, junk))
	}
}

// A schedule record of a newer format version (a newer release's, during
// an upgrade) is not malformed: it is left in place for the release that
// reads it, as a newer worker's registration and a newer key record are,
// and the leader goes on firing the others. applySchedule moves every
// record DecodeSchedule refuses aside, ErrUnsupportedVersion too, so the
// schedule is gone from the cluster (and pruned from deadletter/ with the
// result retention). README's upgrade notes name only task records as
// moved aside. (Failing.)
func TestScheduleOfANewerFormatIsLeftInPlace(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	p := st.Layout().Schedule("newer")
	newer := []byte(`{"v":2,"name":"newer","cron":"* * * * * *","task":{"cmd":["true"]},"created_at":"2026-01-01T00:00:00Z"}`)
	if err := st.Create(p, newer); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "ok", Cron: "* * * * * *"})
	drovertest.WaitFor(t, 10*time.Second, "ok fired", func() bool { return readSchedule(t, st, "ok").Fired >= 1 })
	// The leader read both schedules before it fired ok.
	if data, _, err := st.Get(p); err != nil || string(data) != string(newer) {
		t.Fatalf("the newer release's schedule record: %v (moved to deadletter: %v)", err, deadletterFrom(t, st, p))
	}
}
