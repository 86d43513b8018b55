package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/store"
)

// TestReview151LogsOfTenthLastRunAfterAnUnstartedAttempt: a task's 10
// attempts failed, each with output; attempt 11, prefetched, was handed back
// unstarted by a draining worker (store.Task.AddAttempt with Unstarted, as
// worker.handBack writes it). Attempt 1 is one of the last 10 that ran
// (AttemptsWithTail), which 8acedb6 says keep their output, and drover logs
// --attempt 1 neither prints it nor says it was not kept: AddAttempt counted
// the unstarted attempt it appended among those that keep theirs and
// cleared attempt 1's, while drover logs (ranAfter = 9) takes the empty
// output for what the attempt printed. Expected "out 1".
func TestReview151LogsOfTenthLastRunAfterAnUnstartedAttempt(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	st := openStore(t, root)
	now := time.Now().UTC()
	id := ulid.Make().String()
	task := &store.Task{ID: id, Cmd: []string{"sh", "-c", "echo out; exit 1"}, SubmittedAt: now.Add(-time.Hour),
		Retries: 20, Attempt: 1, State: store.StateQueued}
	for n := 1; n <= store.AttemptsWithTail; n++ {
		at := now.Add(time.Duration(n-60) * time.Second)
		task.AddAttempt(store.Attempt{N: n, Worker: "w1", StartedAt: at, FinishedAt: at, ExitCode: 1,
			Stdout: fmt.Sprintf("out %d\n", n), Stderr: fmt.Sprintf("err %d\n", n)})
		task.Attempt++
	}
	task.AddAttempt(store.Attempt{N: task.Attempt, Worker: "w2", FinishedAt: now.Add(-time.Second), ExitCode: -1,
		Error: "handed back unstarted: the worker drained", Unstarted: true})
	task.Attempt++
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Enqueue(task) }); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "cancel", id); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	if r := drover(t, root, "logs", id, "--attempt", "2"); r.code != 0 || r.stdout != "out 2\n" {
		t.Fatalf("logs --attempt 2: %+v", r)
	}
	if r := drover(t, root, "logs", id, "--attempt", "1"); r.code != 0 || r.stdout != "out 1\n" {
		t.Fatalf("logs --attempt 1 (one of the last %d attempts that ran; an unstarted attempt 11 since): %+v; want its output \"out 1\" (or at least a note that it was not kept)",
			store.AttemptsWithTail, r)
	}
}
