package main

import (
	"strings"
	"testing"
)

// README: status, logs, wait, cancel and retry take --key KEY in place of a task id:
// the task that idempotency key names. A key no task has is exit 1, as an
// id found nowhere; an id and --key together, or --key twice for one task,
// exit 2.
func TestCommandsTakeAKey(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--key", "report-2026-12-06", "--", "echo", "hi")
	if r.code != 0 {
		t.Fatalf("submit --key: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	if r := drover(t, root, "status", "--key", "report-2026-12-06"); r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "queued") {
		t.Fatalf("status --key: %+v", r)
	}
	oneLineError(t, drover(t, root, "status", "--key", "nope"), 1, `status: no task has the key "nope"`)
	oneLineError(t, drover(t, root, "wait", id, "--key", "nope"), 1, `wait: no task has the key "nope"`)
	oneLineError(t, drover(t, root, "status", id, "--key", "report-2026-12-06"), 2, "give a task id or --key, not both")
	oneLineError(t, drover(t, root, "logs", "--key", "a", "--key", "b"), 2, "--key names one task")
	oneLineError(t, drover(t, root, "status", "--key", ""), 2, `--key "": empty`)

	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "2")
	other := strings.TrimSpace(drover(t, root, "submit", "--key", "other", "--", "true").stdout)
	if r := drover(t, root, "wait", "-o", "json", other, "--key", "report-2026-12-06"); r.code != 0 ||
		strings.Index(r.stdout, other) > strings.Index(r.stdout, id) || !strings.Contains(r.stdout, id) {
		t.Fatalf("wait ID --key (ids first, then keys): %+v", r)
	}
	if r := drover(t, root, "logs", "--key", "report-2026-12-06"); r.code != 0 || r.stdout != "hi\n" {
		t.Fatalf("logs --key: %+v", r)
	}
	oneLineError(t, drover(t, root, "cancel", "--key", "nope"), 1, `cancel: no task has the key "nope"`)
	slow := strings.TrimSpace(drover(t, root, "submit", "--key", "slow", "--in", "1h", "--", "true").stdout)
	if r := drover(t, root, "cancel", "--key", "slow"); r.code != 0 || !strings.Contains(r.stdout+r.stderr, slow) {
		t.Fatalf("cancel --key: %+v", r)
	}
	if r := drover(t, root, "retry", "--key", "slow"); r.code != 0 {
		t.Fatalf("retry --key: %+v", r)
	}
	if r := drover(t, root, "wait", "--key", "slow"); r.code != 0 { // a retry runs at once
		t.Fatalf("wait --key after retry --key: %+v", r)
	}
}
