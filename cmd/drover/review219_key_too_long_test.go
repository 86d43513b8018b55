package main

import (
	"strings"
	"testing"
)

// TestReview219KeyTooLong: submit refuses a key over 1,024 bytes (exit 2,
// "key of 2000 bytes: at most 1024"), and --key "" is refused as empty
// (exit 2, "a key is 1 to 1024 bytes"); but status --key of 2,000 bytes
// looked it up and said, exit 1, that no task has it, quoting all 2,000
// bytes.
func TestReview219KeyTooLong(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--key", "r219-short", "--", "true"); r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	long := strings.Repeat("k", 2000)
	for _, c := range []string{"status", "logs", "wait", "cancel", "retry"} {
		r := drover(t, root, c, "--key", long)
		oneLineError(t, r, 2, c+": --key of 2000 bytes: at most 1024")
		if len(r.stderr) > 200 {
			t.Errorf("%s --key of 2000 bytes: %d bytes of message", c, len(r.stderr))
		}
	}
}
