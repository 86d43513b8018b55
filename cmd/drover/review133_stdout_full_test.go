package main

import (
	"strings"
	"testing"
)

// Commands whose stdout is their result exit 0 when it cannot be written:
// logs (the task's output), schedule trigger (the new task's id), schedule
// add, cancel and retry (what was done) lose it without a word, where ls,
// status and version exit 1 with "write /dev/stdout: no space left on
// device".
func TestReview133StdoutWriteErrorExits0(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--", "echo", "precious output")
	id := strings.TrimSpace(r.stdout)
	if r := drover(t, root, "wait", id); r.code != 0 {
		t.Fatalf("wait: %+v", r)
	}
	queued := strings.TrimSpace(drover(t, root, "submit", "--on", "zone=nowhere", "--", "true").stdout)
	if r := drover(t, root, "schedule", "add", "s", "--cron", "@yearly", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	// The project's own convention, for reference: these exit 1.
	for _, args := range [][]string{{"ls"}, {"status", id}, {"version"}} {
		if r := droverToFull(t, root, args...); r.code != 1 || !strings.Contains(r.stderr, "no space left") {
			t.Fatalf("%v with stdout full: %+v", args, r)
		}
	}
	var bad []string
	for _, args := range [][]string{
		{"logs", id},
		{"schedule", "trigger", "s"},
		{"schedule", "add", "s2", "--cron", "@yearly", "--", "true"},
		{"schedule", "pause", "s"},
		{"cancel", queued},
		{"retry", queued},
	} {
		if r := droverToFull(t, root, args...); r.code == 0 {
			bad = append(bad, strings.Join(args[:2], " "))
		}
	}
	if len(bad) > 0 {
		t.Fatalf("exit 0 with their stdout unwritten (no space left on device): %s", strings.Join(bad, "; "))
	}
}
