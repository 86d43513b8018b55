package main

import (
	"strings"
	"testing"
)

// An id given twice to wait names its task once (README: "An id given
// twice (in either case), here and to retry and wait, names its task
// once"). A wait that times out says how many of the tasks finished:
// waiting for A, a, B (two tasks, B finished) it says "1 of 3 task(s)
// finished", counting A twice, where the tasks are two. (submit -f --wait
// of a file whose lines share a key passes the same id twice too.)
func TestWaitTimeoutCountsAnIDGivenTwiceOnce(t *testing.T) {
	root := newRoot()
	submit := func() string {
		t.Helper()
		r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		return strings.TrimSpace(r.stdout)
	}
	a, b := submit(), submit()
	if r := drover(t, root, "cancel", b); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	r := drover(t, root, "wait", "--timeout", "3s", a, strings.ToLower(a), b)
	oneLineError(t, r, 124, "timed out")
	if !strings.Contains(r.stderr, "1 of 2 task(s) finished") {
		t.Fatalf("wait of %s, its id again in lower case, and %s (cancelled): %q; want \"1 of 2 task(s) finished\": two tasks, one finished",
			a, b, strings.TrimSpace(r.stderr))
	}
}
