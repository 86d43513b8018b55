package main

import (
	"strings"
	"testing"
)

// review202: schedule add --handler (cb4183c) makes a schedule whose task
// runs a Go handler, but schedule get's table shows its "command" row
// empty (schedule.go: commandStr(s.Task.Cmd), and a handler task has no
// Cmd), where drover status of one of its runs says "handler upper"
// (whatRuns): the table does not say what the schedule runs.
func TestReview202ScheduleGetNamesTheHandler(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "schedule", "add", "nightly-upper", "--cron", "0 2 * * *", "--handler", "upper", "--payload", "x"); r.code != 0 {
		t.Fatalf("schedule add --handler: %+v", r)
	}
	r := drover(t, root, "schedule", "get", "nightly-upper")
	if r.code != 0 {
		t.Fatalf("schedule get: %+v", r)
	}
	var row string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "command") {
			row = line
		}
	}
	if !strings.Contains(row, "upper") {
		t.Fatalf("schedule get of a handler schedule: its command row %q does not name the handler (drover status says \"handler upper\"); whole output:\n%s", row, r.stdout)
	}
}
