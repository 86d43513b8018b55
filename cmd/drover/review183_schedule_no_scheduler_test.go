package main

import (
	"strings"
	"testing"
	"time"
)

// With no scheduler running, a schedule never fires, and schedule get and
// schedule ls give no sign of it: get says "state active", "next ... (in
// 0s)" (the next slot after now, recomputed at each look, so never
// overdue) and "fired 0"; no line says nothing will fire it. drover
// status of a queued task says "waiting for a scheduler: no scheduler is
// running", and schedule get says why an already fired run waits (its
// `waiting` row, review175), but a schedule that cannot fire at all,
// the first thing an operator checks when a job "did not run", says
// nothing. Expected: schedule get says no scheduler is running, as status
// does for a task. (review183)
func TestScheduleGetSaysNoSchedulerFiresIt(t *testing.T) {
	root := newRoot()
	// A worker makes the cluster; no scheduler runs.
	daemon(t, root, "worker", "--id", "w1")
	if r := drover(t, root, "schedule", "add", "tick", "--cron", "@every 1s", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	// The task-level hint is there: a queued task says no scheduler runs.
	id := strings.TrimSpace(drover(t, root, "submit", "--", "true").stdout)
	waitFor(t, 20*time.Second, "status of a queued task to say no scheduler runs", func() bool {
		return strings.Contains(drover(t, root, "status", id).stdout, "no scheduler is running")
	})
	get := drover(t, root, "schedule", "get", "tick")
	if get.code != 0 {
		t.Fatalf("schedule get: %+v", get)
	}
	if !strings.Contains(get.stdout+get.stderr, "no scheduler") {
		t.Errorf("schedule get of a schedule no scheduler can fire says nothing of it:\n%s%s", get.stdout, get.stderr)
	}
}
