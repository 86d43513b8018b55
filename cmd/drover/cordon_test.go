package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// drover workers cordon keeps new work off a worker, across its restart
// and with the task's wait saying why; uncordon gives it work again.
func TestWorkersCordonAndUncordon(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	// Cordoned before it ever registered: the cordon waits for it.
	r := drover(t, root, "workers", "cordon", "w1", "--note", "disk swap")
	if r.code != 0 || !strings.Contains(r.stdout, "cordoned w1; no worker of that id is registered now") {
		t.Fatalf("cordon of a worker not registered: %+v", r)
	}
	if r := drover(t, root, "workers", "cordon", "w1", "--note", "other"); r.code != 0 || r.stdout != "w1 was cordoned already (\"disk swap\"); no worker of that id is registered now: the cordon holds when one registers\n" {
		t.Fatalf("cordon again: %+v", r)
	}
	if r := drover(t, root, "workers"); r.code != 0 || !strings.Contains(r.stderr, "drover: cordoned, and not registered: w1 (") {
		t.Fatalf("workers with a cordon of no registered worker: %+v; want it named on stderr", r)
	}
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "2")
	daemon(t, root, "worker", "--id", "w2", "--capacity", "2")
	waitFor(t, 20*time.Second, "two workers", func() bool {
		var ws []map[string]any
		_ = json.Unmarshal([]byte(drover(t, root, "workers", "-o", "json").stdout), &ws)
		return len(ws) == 2
	})
	r = drover(t, root, "workers")
	if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "STATE") || !containsLine(r.stdout, "w1", "cordoned") || !containsLine(r.stdout, "w2", "up") {
		t.Fatalf("workers: %+v", r)
	}
	if r := drover(t, root, "workers", "-o", "wide"); !containsLine(r.stdout, "w1", `cordoned ("disk swap", by `) {
		t.Fatalf("workers -o wide says no note: %+v", r)
	}
	for i := 0; i < 4; i++ {
		if r := drover(t, root, "submit", "--wait", "--", "sh", "-c", "echo $DROVER_WORKER_ID"); r.code != 0 || r.stdout != "w2\n" {
			t.Fatalf("task %d: %+v; want it run on w2 alone", i, r)
		}
	}

	// Both cordoned: a task waits, and says why.
	if r := drover(t, root, "workers", "cordon", "w2"); r.code != 0 || r.stdout != "cordoned w2\n" {
		t.Fatalf("cordon w2: %+v", r)
	}
	id := strings.TrimSpace(drover(t, root, "submit", "--", "sh", "-c", "echo $DROVER_WORKER_ID").stdout)
	if r := drover(t, root, "status", id); !containsLine(r.stdout, "waiting", "only draining or cordoned workers") {
		t.Fatalf("status with every worker cordoned: %+v", r)
	}
	if r := drover(t, root, "workers", "uncordon", "w1"); r.code != 0 || r.stdout != "uncordoned w1\n" {
		t.Fatalf("uncordon: %+v", r)
	}
	if r := drover(t, root, "wait", id); r.code != 0 {
		t.Fatalf("wait after uncordon: %+v", r)
	}
	if r := drover(t, root, "logs", id); r.stdout != "w1\n" {
		t.Fatalf("the waiting task ran on %q, want w1", r.stdout)
	}
	if r := drover(t, root, "workers", "uncordon", "w1", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"was_cordoned": false`) {
		t.Fatalf("uncordon of a worker not cordoned: %+v", r)
	}

	oneLineError(t, drover(t, root, "workers", "cordon"), 2, "want one or more worker ids")
	oneLineError(t, drover(t, root, "workers", "cordon", "w5", "a/b"), 2, "worker id") // checked before any is cordoned
	oneLineError(t, drover(t, root, "workers", "cordon", "a/b"), 2, "worker id")
	oneLineError(t, drover(t, root, "workers", "cordon", "w3", "--note", "two\nlines"), 2, `--note "two\nlines": must not contain control characters`)
	if r := drover(t, root, "workers", "cordon", "w3", "--note", strings.Repeat("x", 513)); r.code != 2 || r.stderr != "drover: workers cordon: --note: longer than 512 bytes\n" {
		t.Errorf("cordon --note of 513 bytes: %+v; want exit 2, --note: longer than 512 bytes (a note is no name)", r)
	}
	oneLineError(t, drover(t, root, "workers", "cordn", "w3"), 2, `workers: unknown command "cordn": did you mean cordon? (want one of cordon, uncordon)`)
	oneLineError(t, drover(t, root, "workers", "w3"), 2, `workers: unknown command "w3": want one of cordon, uncordon`)
	if r := drover(t, root, "workers", "-o", "json"); strings.Contains(r.stdout, `"w3"`) || strings.Contains(r.stderr, "w5") {
		t.Fatalf("bad input cordoned w3 or w5: %+v", r)
	}

	// Many at once, each once.
	r = drover(t, root, "workers", "cordon", "w1", "w2", "w1")
	if r.code != 0 || r.stdout != "cordoned w1\nw2 was cordoned already\n" {
		t.Fatalf("cordon w1 w2 w1: %+v", r)
	}
	var changes []map[string]any
	r = drover(t, root, "workers", "uncordon", "w1", "w2", "w9", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &changes); err != nil || r.code != 0 || len(changes) != 3 ||
		changes[0]["was_cordoned"] != true || changes[2]["was_cordoned"] != false {
		t.Fatalf("uncordon w1 w2 w9 -o json: %+v (%v)", r, err)
	}
}

// containsLine reports whether a line of out starts with first and holds
// rest.
func containsLine(out, first, rest string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, first+" ") && strings.Contains(l, rest) {
			return true
		}
	}
	return false
}
