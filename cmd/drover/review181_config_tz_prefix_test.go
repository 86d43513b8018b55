package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestScheduleAddPrefixBeatsConfigFileTZ: README (Configuration) says
// flags beat the environment, which beats the file: a config file holds
// defaults. A team's file with `add: tz: Europe/Berlin` (every schedule in
// Berlin time unless told) makes every `schedule add --cron "CRON_TZ=UTC
// ..."` (or TZ=) fail, exit 2, "give the time zone once: either --tz or a
// CRON_TZ= or TZ= prefix", though the user gave the zone once, on the
// command line, and no --tz at all: the file's default is taken for a
// --tz given (applyConfigFile fills spec.TZ) and collides with the
// prefix. Expected: the command line's zone wins, as a --tz given would
// have (the schedule is added in UTC, its record's tz empty).
func TestScheduleAddPrefixBeatsConfigFileTZ(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	cfg := filepath.Join(t.TempDir(), "drover.yaml")
	if err := os.WriteFile(cfg, []byte("add:\n  tz: Europe/Berlin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The file's default works, and --tz on the command line beats it.
	if r := drover(t, root, "--config", cfg, "schedule", "add", "berlin", "--cron", "0 2 * * *", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add with the file's zone: %+v", r)
	}
	if r := drover(t, root, "--config", cfg, "schedule", "add", "ny", "--cron", "0 2 * * *", "--tz", "America/New_York", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add --tz over the file's zone: %+v", r)
	}
	for _, prefix := range []string{"CRON_TZ=UTC", "TZ=UTC"} {
		name := "utc-" + prefix[:1]
		r := drover(t, root, "--config", cfg, "schedule", "add", name, "--cron", prefix+" 0 2 * * *", "--", "true")
		if r.code != 0 {
			t.Errorf("schedule add --cron %q with a config file's tz default: exit %d, %q; want the command line's zone to beat the file's default", prefix+" 0 2 * * *", r.code, r.stderr)
			continue
		}
		g := drover(t, root, "schedule", "get", name, "-o", "json")
		var rec struct {
			TZ string `json:"tz"`
		}
		if err := json.Unmarshal([]byte(g.stdout), &rec); err != nil || rec.TZ != "" {
			t.Errorf("schedule get %s: %v %+v: want no tz besides the prefix", name, err, g)
		}
	}
}
