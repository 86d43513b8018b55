package main

import (
	"testing"

	"github.com/drover-sched/drover/store"
)

// TestReview149AttemptOfCountsUnstartedAttempts: `drover status` shows the
// attempt out of the most the task may make (attemptOf: 1 + retries, plus
// one per lost attempt, which do not count against retries). An unstarted
// attempt (a drain gave it back, or its worker went first) does not count
// against retries either, but attemptOf leaves it out: a task with
// --retries 1 whose attempt 1 was handed back unstarted is at attempt 2
// with two runs still to make (attempts 2 and 3), yet status says "2/2",
// its last. Expected "2/3", as a lost attempt 1 shows.
func TestReview149AttemptOfCountsUnstartedAttempts(t *testing.T) {
	lost := &store.Task{Retries: 1, Attempt: 2, State: store.StateQueued,
		History: []store.Attempt{{N: 1, ExitCode: -1, Lost: true}}}
	unstarted := &store.Task{Retries: 1, Attempt: 2, State: store.StateQueued,
		History: []store.Attempt{{N: 1, ExitCode: -1, Unstarted: true}}}
	if got := attemptOf(lost); got != "2/3" {
		t.Fatalf("lost attempt 1: %q, want 2/3", got)
	}
	if got := attemptOf(unstarted); got != "2/3" {
		t.Fatalf("attempt 1 unstarted, retries 1: status shows %q, want 2/3 (attempts 2 and 3 may still run)", got)
	}
}
