package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oklog/ulid/v2"
)

// README, submit --after: at most 32 (refused, exit 2, past it); -o json
// shows "after"; "retry of one it cancelled waits again (retry the failed
// task first)"; a task after one already succeeded runs at once.
func TestReview216SubmitAfterREADME(t *testing.T) {
	root := newRoot()
	ids := make([]string, 33)
	for i := range ids {
		ids[i] = ulid.Make().String()
	}
	oneLineError(t, drover(t, root, "submit", "--after", strings.Join(ids, ","), "--", "true"), 2, "at most 32")
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "4")
	flag := filepath.Join(t.TempDir(), "flag")
	a := strings.TrimSpace(drover(t, root, "submit", "--", "test", "-e", flag).stdout)
	b := strings.TrimSpace(drover(t, root, "submit", "--after", a, "--", "echo", "b").stdout)
	if r := drover(t, root, "wait", b); r.code != 1 {
		t.Fatalf("wait for a task after a failed one: %+v", r)
	}
	if r := drover(t, root, "status", "-o", "json", b); !strings.Contains(r.stdout, `"after":["`+a+`"]`) && !strings.Contains(r.stdout, `"after": [`) {
		t.Fatalf("status -o json of a task after another:\n%s", r.stdout)
	}
	// Retried alone, it ends again: its dependency still failed.
	if r := drover(t, root, "retry", b); r.code != 0 {
		t.Fatalf("retry %s: %+v", b, r)
	}
	if r := drover(t, root, "wait", b); r.code != 1 {
		t.Fatalf("wait for a retried task after a failed one: %+v", r)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a, b} {
		if r := drover(t, root, "retry", id); r.code != 0 {
			t.Fatalf("retry %s: %+v", id, r)
		}
	}
	if r := drover(t, root, "wait", b); r.code != 0 {
		t.Fatalf("wait for the task after its retried dependency: %+v\n%s", r, drover(t, root, "status", b).stdout)
	}
	if r := drover(t, root, "submit", "--wait", "--after", strings.ToLower(b), "--", "echo", "c"); r.code != 0 || r.stdout != "c\n" {
		t.Fatalf("submit --wait after a task succeeded: %+v", r)
	}
}
