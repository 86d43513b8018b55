package main

import (
	"strings"
	"testing"
)

// TestReview190ConfigLsStateFiltersEveryListing: cb59291 makes ls's
// filters command-line only ("one listing's, no default") but leaves out
// --state, a filter as much as --name: a file's `ls: state: failed` is
// still taken, every drover ls lists only failed tasks without a word, and
// the command line cannot undo it (--state "" is refused, exit 2: a choice
// flag). A queued task is not shown by drover ls at all.
func TestReview190ConfigLsStateFiltersEveryListing(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--", "true") // no scheduler: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	cfg := writeConfig(t, "ls:\n  state: failed\n")
	r = drover(t, root, "--config", cfg, "ls")
	t.Logf("ls with ls: state: failed in the file: exit %d, stdout %q, stderr %q", r.code, r.stdout, strings.TrimSpace(r.stderr))
	if r.code == 2 {
		return // refused as ls's other filters are: fine
	}
	if r.code != 0 {
		t.Fatalf("ls: exit %d", r.code)
	}
	if !strings.Contains(r.stdout, id) {
		u := drover(t, root, "--config", cfg, "ls", "--state", "")
		t.Fatalf("drover ls does not list queued task %s: the config file's ls state filters every listing (and ls --state \"\" to undo it: exit %d %q)",
			id, u.code, strings.TrimSpace(u.stderr))
	}
}
