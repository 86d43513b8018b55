package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The overdue deadline counts an attempt's late start by ZooKeeper's clock
// (its running mark's mtime), not by the record's started_at, the worker's
// clock: a worker whose clock is far ahead (a year here) marks the attempt
// running "in the future" and then gets stuck, and the leader must still
// withdraw it after its timeout and grace. The worker's own timeout runs on
// its monotonic clock; the leader's withdrawal exists for the stuck one.
// (Found by review.)
func TestStuckAttemptWithAStartFromAWrongClockIsWithdrawn(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1", func(c *Config) { c.TimeoutGrace = 100 * time.Millisecond })
	stuck := registerWorker(t, root, "stuck", 1, nil) // marks running, then nothing
	ids := submit(t, st, 1, func(_ int, task *store.Task) { task.Timeout = store.MillisOf(time.Second) })
	drovertest.WaitFor(t, 10*time.Second, "placed on stuck", func() bool { return len(stuck.assignments(t)) == 1 })
	p := st.Layout().Assignment("stuck", ids[0], 1)
	data, stat, err := st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	// As the worker marks it running (worker.go), by a clock a year ahead.
	task.State, task.StartedAt = store.StateRunning, time.Now().UTC().Add(365*24*time.Hour)
	if data, err = store.Encode(task); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(p, data, stat.Version); err != nil {
		t.Fatal(err)
	}
	// Timeout 1 s + grace 0.1 s from the assignment (the leader's clock):
	// withdrawn within a few seconds, however late the worker says it began.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := st.WaitResult(ctx, ids[0])
	if err != nil {
		t.Fatalf("a stuck attempt whose worker's clock is a year ahead was not withdrawn within 10 s of its 1 s timeout: %v (assignments left: %v)",
			err, stuck.assignments(t))
	}
	if !strings.Contains(got.Error, "withdrawn by the leader") {
		t.Fatalf("result %+v", got)
	}
}

// An assignment the leader counts that is written over with a record that
// decodes but is another task's (copied there by hand: the case
// DecodeTaskOf and checkRead's name check exist for) and outlives its
// timeout is malformed, and moved aside. withdrawOverdue decoded it with
// DecodeTask alone, never checking the name: it deleted the assignment
// (the task placed there was then nowhere, not even in deadletter) and
// queued the other record as a task nobody submitted. (Found by review.)
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
