package main

import (
	"bytes"
	"testing"

	"github.com/drover-sched/drover/store"
)

// review200: the printer of logs -f (and submit --follow) at the task's
// end, fed what a worker publishes and the record it files.

// TestReview200CatchUpGenuineReplacementChar: a command that writes a
// U+FFFD of its own (3 bytes, valid UTF-8: what a decoder with
// errors=replace prints) after the last publication gets the bytes before
// it printed twice: the catch-up counts every U+FFFD of the result's text
// as one byte written (one that was not UTF-8), so it cuts the text too
// early.
func TestReview200CatchUpGenuineReplacementChar(t *testing.T) {
	var out, errOut bytes.Buffer
	f := &follower{out: &out, errOut: &errOut}
	f.live(&store.LiveOutput{Task: "T", Attempt: 1, Worker: "w1", Stdout: []byte("ab"), StdoutBytes: 2})
	// Then the command wrote "\uFFFDcd": 5 bytes, 7 in all, all kept.
	final := &store.Task{ID: "T", Attempt: 1, State: store.StateSucceeded, Stdout: "ab\uFFFDcd",
		History: []store.Attempt{{N: 1, Worker: "w1", StdoutBytes: 7}}}
	f.catchUp(final)
	if want := "ab\uFFFDcd"; out.String() != want {
		t.Fatalf("stdout %q; want %q, each byte once (stderr %q)", out.String(), want, errOut.String())
	}
}
