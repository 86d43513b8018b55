package main

import (
	"strings"
	"testing"
)

// TestReview157SubmitWaitSaysWhenTheOutputWasCut: `drover submit --wait`
// prints "the task's output", and `drover logs ID` its tail, but a result
// keeps only the last 64 KiB of each stream. Of a command that wrote more
// (seq 1 100000: 588,895 bytes) both print the last 65,536 bytes, starting
// in the middle of a line, exit 0, with nothing on stderr but the id: a
// user's `drover submit --wait -- ./report.sh > report.csv` is silently a
// torn fragment. The record keeps no mark that the output was cut, so no
// command can say so. Expected: the output in full, or a line on stderr
// saying only its last 64 KiB was kept.
func TestReview157SubmitWaitSaysWhenTheOutputWasCut(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--wait", "--", "seq", "1", "100000")
	if r.code != 0 {
		t.Fatalf("submit --wait: %+v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	full := strings.HasPrefix(r.stdout, "1\n2\n3\n") && strings.HasSuffix(r.stdout, "99999\n100000\n")
	if !full && len(lines) < 2 {
		t.Errorf("submit --wait printed %d of the command's 588895 bytes, from %q on, and said nothing of the rest: stderr %q",
			len(r.stdout), r.stdout[:12], r.stderr)
	}
	id := lines[0]
	l := drover(t, root, "logs", id)
	if l.code != 0 || (!strings.HasPrefix(l.stdout, "1\n2\n3\n") && l.stderr == "") {
		t.Errorf("logs printed %d bytes, from %q on, exit %d, and said nothing of the rest: stderr %q", len(l.stdout), l.stdout[:12], l.code, l.stderr)
	}
}
