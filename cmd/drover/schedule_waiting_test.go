package main

import (
	"strings"
	"testing"
	"time"
)

// TestScheduleGetSaysWhyItsRunWaits: a schedule whose template no
// registered worker can run (a label typo, or variables no worker's
// --allow-env admits) fires a run that waits for ever, and under forbid
// every later slot is skipped. drover status of the run's task says why;
// schedule get and schedule history, where an operator looks at a
// schedule, said nothing. Expected: get shows a waiting row and history's
// note for the queued run says why.
func TestScheduleGetSaysWhyItsRunWaits(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--label", "zone=earth")
	if r := drover(t, root, "schedule", "add", "mars", "--cron", "@every 1s", "--on", "zone=mars", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	waitFor(t, 20*time.Second, "a run of schedule mars fired", func() bool {
		r := drover(t, root, "schedule", "get", "mars")
		return r.code == 0 && !strings.Contains(r.stdout, "active             0")
	})
	get := drover(t, root, "schedule", "get", "mars")
	if !strings.Contains(get.stdout, "no registered worker") {
		t.Errorf("schedule get of a schedule whose run no worker can take says nothing of it:\n%s", get.stdout)
	}
	hist := drover(t, root, "schedule", "history", "mars")
	if !strings.Contains(hist.stdout, "no registered worker") {
		t.Errorf("schedule history of a run no worker can take says nothing of it:\n%s", hist.stdout)
	}
}

// TestScheduleAddSaysItsRunsWouldWait: schedule add of a template no
// registered worker can run (a label typo) was accepted without a word; its
// first run then waited for ever. Expected: a note on stderr (exit 0, the
// schedule is added: a worker may yet come), and none for a template a
// worker takes.
func TestScheduleAddSaysItsRunsWouldWait(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--label", "zone=earth")
	waitFor(t, 20*time.Second, "worker w1 registered", func() bool {
		r := drover(t, root, "workers")
		return r.code == 0 && strings.Contains(r.stdout, "w1")
	})
	r := drover(t, root, "schedule", "add", "mars", "--cron", "@hourly", "--on", "zone=mars", "--", "true")
	if r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	if !strings.Contains(r.stderr, "no registered worker") {
		t.Errorf("schedule add of a template no worker can run says nothing of it: %q", r.stderr)
	}
	r = drover(t, root, "schedule", "add", "earth", "--cron", "@hourly", "--on", "zone=earth", "--", "true")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("schedule add of a template a worker runs: %+v", r)
	}
}
