package main

import (
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/store"
)

// TestReview149LogsOfACancelledTaskSkipsUnstartedAttempts: a task whose
// attempt 1 failed (its output kept in the history) was prefetched as
// attempt 2 onto a worker that drained and handed it back: attempt 2 ends
// unstarted and attempt 3 is queued. Cancelled while queued, `drover logs
// ID` says "attempt 3 never ran; the output of attempt 2:" and prints
// attempt 2's output, which is none: attempt 2 never ran either. It falls
// back to the last history entry, which before f0892ff was always a run;
// now it may be an unstarted one. Expected: the output of the last attempt
// that ran (attempt 1).
func TestReview149LogsOfACancelledTaskSkipsUnstartedAttempts(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	st := openStore(t, root)
	now := time.Now().UTC()
	id := ulid.Make().String()
	task := &store.Task{ID: id, Cmd: []string{"sh", "-c", "echo first; echo oops >&2; exit 1"}, SubmittedAt: now.Add(-time.Minute),
		Retries: 3, Attempt: 3, State: store.StateQueued,
		History: []store.Attempt{
			{N: 1, Worker: "w1", StartedAt: now.Add(-50 * time.Second), FinishedAt: now.Add(-49 * time.Second), ExitCode: 1, Stdout: "first\n", Stderr: "oops\n"},
			{N: 2, Worker: "w2", FinishedAt: now.Add(-10 * time.Second), ExitCode: -1, Error: "handed back unstarted: the worker drained", Unstarted: true},
		}}
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Enqueue(task) }); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "cancel", id); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	r := drover(t, root, "logs", id)
	if r.code != 0 || r.stdout != "first\n" || !strings.Contains(r.stderr, "oops") {
		t.Fatalf("logs of a task cancelled after an unstarted attempt: %+v; want attempt 1's output (first/oops), the last attempt that ran", r)
	}
	// status shows the attempt that never started without an exit code:
	// no process ran to have one.
	r = drover(t, root, "status", id)
	if want := "worker w2, handed back unstarted: the worker drained (never started)"; r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Fatalf("status: %+v; want attempt 2 shown as %q", r, want)
	}
}
