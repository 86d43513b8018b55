package main

import (
	"strings"
	"testing"
)

// TestReview157SubmitWaitSaysNoWorkerCanRunIt: `drover status ID` of a
// queued task that no registered worker can run says so ("waiting  for a
// worker: no registered worker has its labels and runs what it runs"), but
// `drover submit --wait --on zone=mars -- true` (a label no worker has, a
// typo) waits in silence: with --wait-timeout it exits 124 saying only
// "timed out", without it it waits for ever. A user who waits is the one
// who most needs the hint; expected: a line on stderr, once, saying why
// the task waits (as status says it), while it goes on waiting.
func TestReview157SubmitWaitSaysNoWorkerCanRunIt(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--label", "zone=earth")
	r := drover(t, root, "submit", "--wait", "--wait-timeout", "3s", "--on", "zone=mars", "--", "true")
	if r.code != 124 {
		t.Fatalf("submit --wait: %+v", r)
	}
	if !strings.Contains(r.stderr, "no registered worker") {
		t.Errorf("submit --wait of a task no worker can run said only %q; drover status says \"no registered worker has its labels\"", r.stderr)
	}
}
