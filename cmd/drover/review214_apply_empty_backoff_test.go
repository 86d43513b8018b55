package main

import (
	"os"
	"path/filepath"
	"testing"
)

// schedule add refuses --backoff "" (--backoff "$B" with the variable
// unset), as it does an empty --timeout, and schedule apply refuses the
// other settings empty (review212), but a file with `backoff: ""` (or
// `backoff:`, as a template with the variable unset writes) was applied,
// exit 0: the runs silently took the cluster's 1 s backoff. It should be
// refused, one line naming the setting, exit 2. (review214)
func TestScheduleApplyEmptyBackoffIsBadInput(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--", "true"); r.code != 0 { // make the cluster
		t.Fatalf("first submit: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := drover(t, root, "schedule", "add", "s", "--cron", "0 2 * * *", "--backoff", "", "--", "true"); r.code != 2 {
		t.Fatalf(`schedule add --backoff "": %+v; want exit 2`, r)
	}
	file := filepath.Join(t.TempDir(), "s.yaml")
	for _, value := range []string{`""`, ""} {
		body := "s:\n  cron: \"0 2 * * *\"\n  cmd: [\"true\"]\n  backoff: " + value + "\n"
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		r := drover(t, root, "schedule", "apply", "-f", file)
		if r.code == 0 {
			g := drover(t, root, "schedule", "get", "s")
			t.Fatalf("backoff: %s accepted (exit 0, %q):\n%s", value, r.stdout, g.stdout)
		}
		oneLineError(t, r, 2, "backoff")
	}
}
