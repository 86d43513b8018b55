package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// `schedule add --update` adds a schedule, changes it in place, and says
// when there was nothing to change; without --update a taken name is
// refused and the message names --update.
func TestScheduleAddUpdate(t *testing.T) {
	root := newRoot()
	add := func(args ...string) result {
		t.Helper()
		return drover(t, root, append([]string{"schedule", "add", "nightly", "--cron", "0 2 * * *", "--tz", "Europe/Berlin"}, args...)...)
	}
	if r := add("--update", "--", "./backup.sh"); r.code != 0 || !strings.HasPrefix(r.stdout, "added nightly: next slot ") {
		t.Fatalf("first add --update: %+v; want added", r)
	}
	if r := add("--", "./backup.sh", "/data"); r.code != 1 || !strings.Contains(r.stderr, "already exists") || !strings.Contains(r.stderr, "--update") {
		t.Fatalf("add of a taken name: %+v; want exit 1, already exists, naming --update", r)
	}
	if r := add("--update", "--", "./backup.sh", "/data"); r.code != 0 || !strings.HasPrefix(r.stdout, "updated nightly: next slot ") {
		t.Fatalf("add --update with a new command: %+v; want updated", r)
	}
	r := drover(t, root, "-o", "json", "schedule", "add", "nightly", "--update", "--cron", "0 2 * * *", "--tz", "Europe/Berlin", "--", "./backup.sh", "/data")
	var got struct {
		Applied string `json:"applied"`
		Name    string `json:"name"`
		Task    struct {
			Cmd []string `json:"cmd"`
		} `json:"task"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil || got.Applied != "unchanged" || got.Name != "nightly" ||
		!slices.Equal(got.Task.Cmd, []string{"./backup.sh", "/data"}) {
		t.Fatalf("add --update -o json as it is: %+v (%v); want applied unchanged with the schedule", r, err)
	}
	if r := add("--update", "--cron", "61 2 * * *", "--", "./backup.sh"); r.code != 2 {
		t.Fatalf("add --update with a bad spec: %+v; want exit 2", r)
	}
}
