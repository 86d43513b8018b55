package main

import (
	"bytes"
	"testing"

	"github.com/drover-sched/drover/store"
)

// review200: the printer of logs -f (and submit --follow) at the task's
// end, fed what a worker publishes and the record it files.

// TestReview200CatchUpCharacterCutByPublication: a publication that ends
// inside a character (a command's write split by the pipe, or a
// character written in two writes) leaves the rest of that character to
// the catch-up, which drops it without a word: the stream printed holds
// a lone lead byte, the character's other bytes never come.
func TestReview200CatchUpCharacterCutByPublication(t *testing.T) {
	var out, errOut bytes.Buffer
	f := &follower{out: &out, errOut: &errOut}
	f.live(&store.LiveOutput{Task: "T", Attempt: 1, Worker: "w1", Stdout: []byte("a\xc3"), StdoutBytes: 2})
	final := &store.Task{ID: "T", Attempt: 1, State: store.StateSucceeded, Stdout: "aé\n",
		History: []store.Attempt{{N: 1, Worker: "w1", StdoutBytes: 4}}}
	f.catchUp(final)
	if want := "aé\n"; out.String() != want {
		t.Fatalf("stdout %q; want %q: the second byte of é printed once, not lost (stderr %q)", out.String(), want, errOut.String())
	}
}
