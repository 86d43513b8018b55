package main

import (
	"strings"
	"testing"
)

// TestReview160OutputCutNoteForNonUTF8Output: 7afe0e5 has drover logs and
// submit --wait say when they print only the end of a stream, by comparing
// the attempt's byte count (stdout_bytes) with the length of the text
// printed. But the text printed is the record's, and a record is JSON: each
// byte of the kept tail that is not UTF-8 (Latin-1 text, binary output)
// comes back as U+FFFD, three bytes. A command that wrote 100,000 bytes of
// 0xE9 ('é' in Latin-1) keeps its last 65,536, which print as 196,608
// bytes: more than it wrote, so no note, and a user reading the output
// cannot tell the first 34,464 bytes are gone. Expected: a note whenever
// the tail kept is shorter than what the command wrote (compare with the
// bytes the tail kept, not with the text after encoding).
func TestReview160OutputCutNoteForNonUTF8Output(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--wait", "--", "sh", "-c", `head -c 100000 /dev/zero | tr '\000' '\351'`)
	if r.code != 0 {
		t.Fatalf("submit --wait: code %d stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	id := lines[0]
	if !strings.Contains(r.stderr, "only the last") {
		t.Errorf("submit --wait of a command that wrote 100000 bytes (not UTF-8) printed %d bytes and no note that the start was cut: stderr %q", len(r.stdout), r.stderr)
	}
	l := drover(t, root, "logs", id)
	if l.code != 0 || !strings.Contains(l.stderr, "only the last") {
		t.Errorf("logs of a command that wrote 100000 bytes (not UTF-8) printed %d bytes, exit %d, and no note that the start was cut: stderr %q", len(l.stdout), l.code, l.stderr)
	}
}
