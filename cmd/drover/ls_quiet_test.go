package main

import (
	"strings"
	"testing"
)

// ls -q prints the ids alone, newest first, one a line, for cancel -f - and
// retry -f - to read without jq; with -o json or wide it is refused.
func TestLsQuietPrintsIDs(t *testing.T) {
	root := newRoot()
	var ids []string
	for range 3 {
		r := drover(t, root, "submit", "--name", "q", "--on", "gpu=none", "--", "true") // no worker: it stays queued
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	r := drover(t, root, "ls", "-q", "--state", "queued", "--limit", "0")
	want := ids[2] + "\n" + ids[1] + "\n" + ids[0] + "\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Fatalf("ls -q: %+v; want the three ids, newest first:\n%s", r, want)
	}
	if c := droverIn(t, root, r.stdout, "cancel", "-f", "-"); c.code != 0 {
		t.Fatalf("ls -q | cancel -f -: %+v", c)
	}
	if r := drover(t, root, "ls", "-q", "--state", "queued"); r.code != 0 || r.stdout != "" {
		t.Fatalf("ls -q after the cancel: %+v; want none queued", r)
	}
	for _, o := range []string{"json", "wide"} {
		oneLineError(t, drover(t, root, "-o", o, "ls", "-q"), 2, "ls: --quiet prints the ids alone: not with -o "+o)
	}
}
