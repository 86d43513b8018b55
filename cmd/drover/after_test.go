package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

// README: "drover submit --after ID -- CMD runs CMD once task ID has
// succeeded". Through processes: a task after one that waits on a file
// is held (status says for what) until it succeeds; one after a task that
// fails ends cancelled with the reason and exit code 1 from wait; an id
// found nowhere, a malformed one, or --after with -f is refused, exit 2.
func TestSubmitAfter(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--after", ulid.Make().String(), "--", "true"); r.code != 2 || !strings.Contains(r.stderr, "drover: submit: --after ") || !strings.Contains(r.stderr, ": no such task") {
		t.Fatalf("submit --after an unknown id: %+v", r)
	}
	oneLineError(t, drover(t, root, "submit", "--after", "nope", "--", "true"), 2, "after")
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "4")
	gate := filepath.Join(t.TempDir(), "gate")
	first := strings.TrimSpace(drover(t, root, "submit", "--", "sh", "-c", "while [ ! -e "+gate+" ]; do sleep 0.05; done").stdout)
	second := drover(t, root, "submit", "--after", strings.ToLower(first), "--", "echo", "second")
	if second.code != 0 {
		t.Fatalf("submit --after: %+v", second)
	}
	id := strings.TrimSpace(second.stdout)
	waitFor(t, 20*time.Second, "the first task running", func() bool {
		return strings.Contains(drover(t, root, "status", first).stdout, "running")
	})
	r := drover(t, root, "status", id)
	if !strings.Contains(r.stdout, "queued") || !strings.Contains(r.stdout, "for "+first+" (running) to succeed (--after)") {
		t.Fatalf("status of a held task:\n%s", r.stdout)
	}
	if r := drover(t, root, "ls", "--state", "queued"); !strings.Contains(r.stdout, "queued (after 1 task)") {
		t.Fatalf("ls of a held task:\n%s", r.stdout)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "wait", id); r.code != 0 {
		t.Fatalf("wait for the task after it: %+v", r)
	}
	if r := drover(t, root, "logs", id); r.stdout != "second\n" {
		t.Fatalf("logs: %+v", r)
	}

	failing := strings.TrimSpace(drover(t, root, "submit", "--", "false").stdout)
	after := strings.TrimSpace(drover(t, root, "submit", "--after", failing, "--after", id, "--", "echo", "never").stdout)
	r = drover(t, root, "wait", after)
	if r.code != 1 {
		t.Fatalf("wait for a task after a failed one: %+v", r)
	}
	if r := drover(t, root, "status", after); !strings.Contains(r.stdout, "dependency "+failing+" ended failed") {
		t.Fatalf("status of a task after a failed one:\n%s", r.stdout)
	}
	file := filepath.Join(t.TempDir(), "batch.jsonl")
	if err := os.WriteFile(file, []byte(`{"cmd":["true"],"after":["`+id+`"]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, drover(t, root, "submit", "-f", file, "--after", id), 2, "--after describes one task")
	if r := drover(t, root, "submit", "--wait", "-f", file); r.code != 0 {
		t.Fatalf("submit -f with \"after\": %+v", r)
	}
}
