package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestAssignmentTooLargeToMarkRunningIsMovedAside: a task record near the
// size limit that the leader could still place (its assignment encodes
// within store.MaxRecordSize) grows past the limit by the worker's running
// mark (state and started_at). FAILURES.md: an assignment whose record
// cannot be carried on is moved to deadletter "rather than leave it
// holding its slot, running, for ever". The worker logs "encode running
// state" and returns: the attempt never starts, nothing moves the
// assignment aside, and the leader keeps it counted against the worker's
// capacity for the rest of the term (no timeout: never looked at again).
// A worker of capacity 1 runs nothing more.
func TestAssignmentTooLargeToMarkRunningIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	w, _, _ := startWorker(t, root, "w1", func(c *Config) { c.Capacity = 1 })
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()

	// A record whose assignment, as the leader writes it, is some 24 bytes
	// short of the limit (its times' encodings vary by a few bytes); the
	// running mark's started_at takes some 45 more.
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC(), Attempt: 1}
	placed := func(pad int) int {
		c := task.Clone()
		c.Env = map[string]string{"PAD": strings.Repeat("x", pad)}
		c.State, c.Worker, c.Reg, c.Epoch, c.AssignedAt = store.StateAssigned, "w1", w.Reg(), 1, time.Now().UTC()
		data, err := store.Encode(c)
		if err != nil {
			return store.MaxRecordSize + 1
		}
		return len(data)
	}
	pad := store.MaxRecordSize - placed(0) - 24
	if n := placed(pad); n > store.MaxRecordSize-12 || n < store.MaxRecordSize-36 {
		t.Fatalf("padding: %d bytes", n)
	}
	task.Env = map[string]string{"PAD": strings.Repeat("x", pad)}
	task.State = store.StateQueued
	data, err := store.Encode(task)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBuckets(task.ID); err != nil {
		t.Fatal(err)
	}
	// Written as the queue item a retry leaves (a submit refuses a spec
	// this large; a task's history and output tails grow it there).
	if err := st.Create(lay.QueueItem(task.ID), data); err != nil {
		t.Fatal(err)
	}
	p := lay.Assignment("w1", task.ID, 1)
	drovertest.WaitFor(t, 20*time.Second, "the large task placed", func() bool { return exists(t, st, p) })

	good := submitCmd(t, st, 1, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, werr := st.WaitResult(ctx, good[0])
	left := exists(t, st, p)
	if werr != nil || left {
		t.Fatalf("assignment too large for its running mark still under tasks/w1: %v; the worker's next task: %v (it holds the worker's only slot)", left, werr)
	}
}
