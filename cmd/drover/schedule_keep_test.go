package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// `--keep-succeeded 0` (Kubernetes' successfulJobsHistoryLimit: 0, "keep
// none") is taken for "not given" and becomes the default 10, with no word;
// -1 is refused as "want 1..1000". Either 0 is honoured or it is refused as
// bad input (exit 2, one line), as its neighbours are.
func TestScheduleKeepZeroIsNotSilentlyTen(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	for _, flag := range []string{"--keep-succeeded", "--keep-failed"} {
		name := strings.TrimPrefix(flag, "--")
		r := drover(t, root, "schedule", "add", name, "--cron", "@hourly", flag, "0", "--", "true")
		if r.code == 2 && strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") == 0 {
			continue // refused as bad input
		}
		if r.code != 0 {
			t.Fatalf("%s 0: %+v", flag, r)
		}
		g := drover(t, root, "schedule", "get", name, "-o", "json")
		var rec struct {
			KeepSucceeded int `json:"keep_succeeded"`
			KeepFailed    int `json:"keep_failed"`
		}
		if err := json.Unmarshal([]byte(g.stdout), &rec); err != nil {
			t.Fatalf("get: %v: %+v", err, g)
		}
		got := rec.KeepSucceeded
		if flag == "--keep-failed" {
			got = rec.KeepFailed
		}
		if got != 0 {
			t.Errorf("schedule add %s 0: exit 0, and the schedule keeps %d (the default): 0 silently became 10", flag, got)
		}
	}
}
