package main

import (
	"regexp"
	"strings"
	"testing"
)

// schedule get shows what each run is given, not only its command:
// retries, timeout, labels, priority, and the exit codes not retried.
func TestScheduleGetShowsTheRunsSettings(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "schedule", "add", "report", "--cron", "0 2 * * *", "--retries", "3", "--timeout", "90m",
		"--on", "zone=eu", "--priority", "high", "--no-retry-exit", "2", "--backoff", "1m", "--", "./report.sh"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	r := drover(t, root, "schedule", "get", "report")
	if r.code != 0 {
		t.Fatalf("schedule get: %+v", r)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			rows[strings.Join(f[:len(f)-1], " ")] = f[len(f)-1]
		}
	}
	for field, want := range map[string]string{"retries": "3", "timeout": "1h30m0s", "on": "zone=eu", "priority": "high", "no retry on exit": "2"} {
		if rows[field] != want {
			t.Errorf("schedule get: %s %q, want %q; whole output:\n%s", field, rows[field], want, r.stdout)
		}
	}
	if !regexp.MustCompile(`(?m)^backoff\s+1m0s before the first retry`).MatchString(r.stdout) {
		t.Errorf("schedule get shows no backoff row; whole output:\n%s", r.stdout)
	}
}
