package main

import (
	"strings"
	"testing"
	"time"
)

// A submit whose transaction is in flight when the store closes says which
// tasks may have been written ("the next 1 may have been, ids X: look for
// them (drover status ID) before you submit them again": store.InFlightError,
// ErrClosed counted as a lost reply). 98bb258's runClient replaces every
// error of a command whose store it closed after an interrupt (interruptWait)
// with "interrupted (ZooKeeper did not answer; a change in flight may or may
// not have landed)" unless it already is an exit 130: drover submit
// interrupted over a silent link no longer names the task in doubt (its id
// is printed nowhere else), where 9fa77a7 kept the command's message under
// exit 130.
func TestReview165InterruptedSubmitLosesTheIDsInDoubt(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--on", "gpu=none", "--", "true"); r.code != 0 { // the tree made
		t.Fatalf("submit: %+v", r)
	}
	const marker = "r165-in-flight-marker"
	// The submit's transaction: sent, never applied.
	r := interruptAt(t, root, marker, 20*time.Second, "submit", "--on", "gpu=none", "--", "echo", marker)
	code, stderr, out := r.code, r.stderr, r.stdout
	if code != 130 {
		t.Fatalf("submit interrupted: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if !strings.Contains(stderr, "may have been, ids ") {
		t.Errorf("submit interrupted (SIGINT) with its transaction in flight over a silent link: the message does not name the task that may have been written (stdout %q):\n%s", out, stderr)
	}
	if strings.Contains(stderr, "store closed") {
		// The store closed under it is runClient's doing, not the cause.
		t.Errorf("submit interrupted says the store closed, which the interrupt did:\n%s", stderr)
	}
}
