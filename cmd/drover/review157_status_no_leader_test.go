package main

import (
	"strings"
	"testing"
)

// TestReview157StatusSaysNoSchedulerRuns: README's troubleshooting for
// "Tasks stay queued" points at `drover status ID`, which says when no
// registered worker can run the task. With no scheduler running at all
// (every one stopped, or none started: a fresh cluster's first submit),
// nothing will ever place it, and `drover leader` knows it ("no scheduler
// is running", exit 1); but `drover status ID` shows the task queued with
// no "waiting" line, as if it were next in line, and `submit --wait` waits
// in silence. Expected: status says why it waits (no scheduler is running).
func TestReview157StatusSaysNoSchedulerRuns(t *testing.T) {
	root := newRoot()
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	oneLineError(t, drover(t, root, "leader"), 1, "no scheduler is running")
	s := drover(t, root, "status", id)
	if s.code != 0 || !strings.Contains(s.stdout, "queued") {
		t.Fatalf("status: %+v", s)
	}
	if !strings.Contains(s.stdout+s.stderr, "no scheduler") {
		t.Errorf("status of a task no scheduler will ever place does not say so:\n%s%s", s.stdout, s.stderr)
	}
}
