package main

import (
	"bytes"
	"testing"

	"github.com/drover-sched/drover/store"
)

// review199: logs -f prints each byte once (README). What came after the
// last publication is printed from the result's text, where each byte
// that was not UTF-8 stands as U+FFFD (3 bytes): follower.rest cuts that
// text at len(text)-n, a count of the text's bytes, not of the bytes the
// command wrote, so of a command whose last bytes are binary the end is
// lost (here two bytes, after "ab" was printed live, come out as nothing).
func TestReview199FollowCatchUpOfBinaryEnd(t *testing.T) {
	var out, errOut bytes.Buffer
	f := &follower{out: &out, errOut: &errOut}
	f.live(&store.LiveOutput{Task: "T", Attempt: 1, Worker: "w1", Stdout: []byte("ab"), StdoutBytes: 2})
	// The command then wrote 0xff 0xfe and ended; the result keeps them as
	// two U+FFFD.
	final := &store.Task{ID: "T", Attempt: 1, State: store.StateSucceeded, Stdout: "ab\uFFFD\uFFFD",
		History: []store.Attempt{{N: 1, Worker: "w1", StdoutBytes: 4}}}
	f.catchUp(final)
	if want := "ab\uFFFD\uFFFD"; out.String() != want {
		t.Fatalf("logs -f printed stdout %q; want %q (the two bytes after the last publication, as the result keeps them); stderr %q", out.String(), want, errOut.String())
	}
}
