package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The new `schedule add --tz ""` refusal (b543dd2) tests
// cmd.Flags().Changed("tz"), which a config file's value sets too
// (applyConfigFile marks every flag it fills Changed). So a config file's
// `tz: ""` (in the add section, or at the top level, which applies to every
// command that has the flag) now fails every `schedule add`, exit 2, with a
// message about a `--tz ""` the user never typed; while the rule the README
// (Upgrading) and the choice flags, --key and this fix's own test keep is
// that an empty value in a config file still means the default: `catchup:
// ""` in the same place is the default. The check wants
// givenOnCommandLine(cmd, "tz"), as --key's has. (review121)
func TestScheduleAddConfigFileEmptyTZIsTheDefault(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The rule as the choice flags keep it: an empty catchup in the file
	// is the default.
	catchup := write("catchup.yaml", "add:\n  catchup: \"\"\n")
	if r := drover(t, root, "--config", catchup, "schedule", "add", "c", "--cron", "@hourly", "--", "true"); r.code != 0 {
		t.Fatalf("config catchup: \"\": %+v", r)
	}
	for _, c := range []struct{ name, body string }{
		{"section.yaml", "add:\n  tz: \"\"\n"},
		{"top.yaml", "tz: \"\"\n"},
	} {
		cfg := write(c.name, c.body)
		name := "s-" + c.name[:len(c.name)-5]
		r := drover(t, root, "--config", cfg, "schedule", "add", name, "--cron", "@hourly", "--", "true")
		if r.code != 0 {
			t.Errorf("config file %q: schedule add refused, exit %d: %s(an empty value in a config file means the default, UTC)", c.body, r.code, r.stderr)
			continue
		}
		g := drover(t, root, "schedule", "get", name, "-o", "json")
		var rec struct {
			TZ string `json:"tz"`
		}
		if err := json.Unmarshal([]byte(g.stdout), &rec); err != nil || rec.TZ != "" {
			t.Errorf("config file %q: schedule get: %v %+v", c.body, err, g)
		}
	}
}
