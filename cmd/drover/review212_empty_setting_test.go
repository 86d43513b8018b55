package main

import (
	"os"
	"path/filepath"
	"testing"
)

// schedule apply takes schedule add's flags by name as settings, and schedule
// add refuses an empty --tz, --priority, --catchup, --concurrency, --name,
// --timeout or --starting-deadline (review120: --tz "$ZONE" with the
// variable unset ran a nightly job in UTC, an hour off, in silence). A file
// with `tz: ""` (or `tz:`, as a template with the variable unset writes) was
// applied, exit 0, and the schedule fired in UTC. Each should be refused,
// one line naming the setting, exit 2, nothing written. (review212)
func TestScheduleApplyEmptySettingIsBadInput(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--", "true"); r.code != 0 { // make the cluster
		t.Fatalf("first submit: exit %d, stderr %q", r.code, r.stderr)
	}
	dir := t.TempDir()
	for _, c := range []struct{ setting, value string }{
		{"tz", `""`}, {"tz", ""}, {"priority", `""`}, {"catchup", `""`}, {"concurrency", `""`},
		{"name", `""`}, {"timeout", `""`}, {"starting-deadline", `""`},
	} {
		file := filepath.Join(dir, "s.yaml")
		body := "s:\n  cron: \"0 2 * * *\"\n  cmd: [\"true\"]\n  " + c.setting + ": " + c.value + "\n"
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		r := drover(t, root, "schedule", "apply", "-f", file)
		if r.code == 0 {
			g := drover(t, root, "schedule", "get", "s")
			t.Fatalf("%s: %s accepted (exit 0, %q):\n%s", c.setting, c.value, r.stdout, g.stdout)
		}
		oneLineError(t, r, 2, c.setting)
	}
}

// submit --at "" is refused ("empty (leave the flag out to run it at
// once)"), as are "key": "" and "name": "" in a submit -f line, but a line
// with "at": "" ("at": "$WHEN" with the variable unset) was submitted to
// run at once, exit 0. It should be refused, one line, exit 2. (review212)
func TestSubmitFileEmptyAtIsBadInput(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--", "true"); r.code != 0 { // make the cluster
		t.Fatalf("first submit: exit %d, stderr %q", r.code, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "t.jsonl")
	if err := os.WriteFile(file, []byte(`{"cmd":["true"],"at":""}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "submit", "-f", file)
	if r.code == 0 {
		t.Fatalf(`"at": "" accepted (exit 0, task %q): it runs at once`, r.stdout)
	}
	oneLineError(t, r, 2, "at")
}
