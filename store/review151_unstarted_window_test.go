package store

import (
	"fmt"
	"testing"
	"time"
)

// TestReview151UnstartedAttemptKeepsTheLastTenThatRanOutput: since 8acedb6
// AddAttempt keeps the output of "the last AttemptsWithTail attempts that
// ran" (unstarted ones take no place), and drover logs reports an attempt's
// output as not kept only when AttemptsWithTail attempts ran after it. But
// AddAttempt's count starts at 1 for the attempt it appends whether or not
// that one ran: appending an unstarted attempt (a drain's hand-back, a lost
// worker's never-started assignment) keeps only AttemptsWithTail-1 of those
// that ran. A task whose 10 attempts failed with output and whose 11th is
// handed back unstarted loses attempt 1's output, one of the last 10 that
// ran, and `drover logs --attempt 1` prints nothing, with no note that it
// was not kept (ranAfter is 9).
func TestReview151UnstartedAttemptKeepsTheLastTenThatRanOutput(t *testing.T) {
	now := time.Now().UTC()
	task := &Task{ID: "t", Retries: 20, Attempt: 1}
	for n := 1; n <= AttemptsWithTail; n++ {
		task.AddAttempt(Attempt{N: n, Worker: "w", StartedAt: now, FinishedAt: now, ExitCode: 1,
			Stdout: fmt.Sprintf("out %d\n", n), Stderr: fmt.Sprintf("err %d\n", n)})
		task.Attempt++
	}
	if task.History[0].Stdout == "" {
		t.Fatalf("attempt 1's output dropped with %d attempts in the history", len(task.History))
	}
	// Attempt 11, prefetched, is handed back unstarted (as worker.handBack
	// and scheduler.recoverAttempt write it).
	task.AddAttempt(Attempt{N: task.Attempt, Worker: "w", FinishedAt: now, ExitCode: -1,
		Error: "handed back unstarted: the worker drained", Unstarted: true})
	for i, a := range task.History {
		ranAfter := 0
		for _, b := range task.History[i+1:] {
			if !b.Unstarted {
				ranAfter++
			}
		}
		if !a.Unstarted && ranAfter < AttemptsWithTail && a.Stdout == "" {
			t.Fatalf("attempt %d, one of the last %d that ran (%d ran after it), lost its output when unstarted attempt %d was added: stdout %q stderr %q",
				a.N, AttemptsWithTail, ranAfter, task.Attempt, a.Stdout, a.Stderr)
		}
	}
}
