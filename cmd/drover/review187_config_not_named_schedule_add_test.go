package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// 5c85fd1 names the config file only for a flag the message names as
// --flag, or as a bare word first or right after the command's name
// ("submit: retries 5000: ..."). schedule add's checks put the schedule's
// name between ("schedule add NAME: retries 5000: want 0..1000"), so a
// config file's bad retries (or timeout, priority, ...) for schedule add is
// no longer named: the user is told of a flag they never typed, as before
// fromFile existed. At 17c410d this printed "--config c.yaml: schedule add
// x: retries 5000: ..."; submit still does.
func TestReview187ConfigFileNotNamedForScheduleAdd(t *testing.T) {
	root := newRoot()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("retries: 5000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := drover(t, root, "--config", cfg, "submit", "--", "true")
	add := drover(t, root, "--config", cfg, "schedule", "add", "x", "--cron", "* * * * *", "--", "true")
	t.Logf("submit: exit %d %q; schedule add: exit %d %q", sub.code, strings.TrimSpace(sub.stderr), add.code, strings.TrimSpace(add.stderr))
	if sub.code != 2 || add.code != 2 {
		t.Fatalf("want exit 2 for both")
	}
	if !strings.Contains(add.stderr, cfg) {
		t.Fatalf("schedule add with the config file's retries 5000 says %q, naming no file (submit names it: %q): "+
			"mentionsFlag takes a bare flag name only first or after \"schedule add: \", and schedule add puts the schedule's name there",
			strings.TrimSpace(add.stderr), strings.TrimSpace(sub.stderr))
	}
}
