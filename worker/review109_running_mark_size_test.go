package worker

import (
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review109.

// TestAssignmentWhoseRunningMarkDoesNotFitDoesNotHoldTheSlot: an assignment
// within store.MaxRecordSize whose running mark is not (the mark adds
// started_at, some 45 bytes, and store.Encode refuses the record) is left
// in the worker's directory, assigned, for ever: attempt() only logs
// "encode running state" and returns. Nothing withdraws it (a task without
// a timeout is never overdue), so the task never runs nor ends, a wait on
// it never returns, and the worker's slot stays taken until it restarts.
// The queue items Drover writes leave room for the mark (Enqueue keeps
// VersionWriteBytes free), so such a record comes from another writer or
// a hand, as the hand-set attempt number of
// TestOutcomeThatCannotBeQueuedDoesNotHoldTheSlot, whose fix (moveAside)
// covers the outcome but not the mark. FAILURES.md: an assignment whose
// record cannot be carried on (a record near the size limit) is moved to
// deadletter "rather than leave it holding its slot ... for ever".
func TestAssignmentWhoseRunningMarkDoesNotFitDoesNotHoldTheSlot(t *testing.T) {
	root := drovertest.NewRoot()
	w := runHandler(t, root, 0, "h", noop)
	st := openExtra(t, root)

	// A handler task whose handler failed attempt after attempt with a long
	// error (its retries, then `drover retry` after `drover retry`), its
	// spec within a submit's limit.
	task := &store.Task{ID: ulid.Make().String(), Handler: "h", Retries: store.MaxRetries, SubmittedAt: time.Now().UTC()}
	at := time.Now().UTC().Add(-24 * time.Hour)
	why := "upstream said: " + strings.Repeat("service unavailable; ", 20)
	attempts := 1900
	for n := 1; n <= attempts; n++ {
		task.AddAttempt(store.Attempt{N: n, Worker: "go", StartedAt: at, FinishedAt: at.Add(time.Second), ExitCode: 1, Error: why})
		at = at.Add(2 * time.Second)
	}
	limit := attempts
	task.Gen, task.RetryLimit, task.RetriedAt = attempts-store.MaxRetries, &limit, at
	task.Attempt = attempts + 1
	task.Worker, task.Reg, task.State = "go", w.Reg(), store.StateAssigned
	size := func(t0 *store.Task) int {
		data, err := store.Encode(t0)
		if err != nil {
			return -1
		}
		return len(data)
	}
	// The longest payload that keeps the assignment within the limit.
	lo, hi := 0, store.MaxRecordSize
	for lo < hi {
		mid := (lo + hi + 1) / 2
		task.Payload = []byte(strings.Repeat("p", mid))
		if s := size(task); s > 0 {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	task.Payload = []byte(strings.Repeat("p", lo))
	if s := size(task); s < 0 || s > store.MaxRecordSize {
		t.Fatalf("assignment of %d bytes does not fit", s)
	}
	spec := &store.Task{ID: task.ID, Handler: task.Handler, Payload: task.Payload, Retries: task.Retries, SubmittedAt: task.SubmittedAt}
	if _, err := store.EncodeSpec(spec); err != nil {
		t.Fatalf("a spec no client submits: %v", err)
	}
	running := task.Clone()
	running.State, running.StartedAt = store.StateRunning, time.Now().UTC()
	if size(running) > 0 {
		t.Fatal("the running mark fits: the test does not show the case")
	}

	p := assign(t, st, w, task)
	drovertest.WaitFor(t, 15*time.Second, "the assignment that cannot be marked running gone from the worker's directory", func() bool {
		return !exists(t, st, p)
	})
}
