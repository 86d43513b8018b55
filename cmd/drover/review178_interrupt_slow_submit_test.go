package main

import (
	"strings"
	"testing"
	"time"
)

// review178: README: a client command interrupted exits 130 "within a
// second even over a link gone silent (a change in flight then may or may
// not have landed ...)": runClient gives the command interruptWait (1 s)
// to end on its own, so a change whose answer comes within it is reported
// as done. Since a57b8b2 store.Submit gives up its batch the moment its
// context ends, so Ctrl-C during a submit over a link that is merely slow
// (here ZooKeeper's answer comes 300 ms after the interrupt, well within
// the second) reports the tasks of the batch in flight as "may have been"
// submitted, and tells the operator to look each one up, where the answer
// was on its way: every interrupted `submit -f` of a big file on a healthy
// cluster now leaves up to a batch (100 tasks) in doubt.
func TestReview178InterruptedSubmitOnASlowLinkGivesUpAnAnswerOnItsWay(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--on", "gpu=none", "--", "true"); r.code != 0 { // the tree made
		t.Fatalf("submit: %+v", r)
	}
	bucketsAhead(t, openStore(t, root))
	const marker = "r178-slow-answer-marker"
	// ZooKeeper's answers, held since the transaction, come 300 ms after
	// the interrupt: a slow link, not a silent one.
	r := interruptSlow(t, root, marker, 300*time.Millisecond, 20*time.Second, "submit", "--on", "gpu=none", "--", "echo", marker)
	if !r.exited {
		t.Fatal("the interrupted submit did not exit")
	}
	code, stderr, out := r.code, r.stderr, r.stdout
	if strings.Contains(stderr, "may have been") || strings.TrimSpace(out) == "" {
		t.Errorf("submit interrupted with its transaction's answer 300 ms away (within interruptWait): exit %d, stdout %q, stderr %q; want the task reported submitted, not left in doubt",
			code, out, stderr)
	}
}
