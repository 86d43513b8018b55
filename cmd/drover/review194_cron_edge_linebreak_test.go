package main

import (
	"strings"
	"testing"
)

// The README's upgrade notes say a cron spec with a line break is refused,
// exit 2. One inside the spec is ("@daily\nx"); one at its start or end is
// not: scheduler.ReadSpec trims the spec before it looks for control
// characters, and schedule add stores the spec as given, so
// `--cron $'0 9 * * *\n'` is added (exit 0), its record holds the line
// break, and `schedule ls` shows the spec quoted, "0 9 * * *\n" (review194).
func TestReview194CronLineBreakAtEitherEndRefused(t *testing.T) {
	root := newRoot()
	for _, spec := range []string{"@daily\n", "\n@daily", "0 9 * * *\r\n"} {
		t.Run(strings.ReplaceAll(spec, "\n", `\n`), func(t *testing.T) {
			r := drover(t, root, "schedule", "add", "x", "--cron", spec, "--", "true")
			if r.code != 2 {
				drover(t, root, "schedule", "rm", "x")
				t.Fatalf("schedule add --cron %q: exit %d, want 2; stdout %q stderr %q", spec, r.code, r.stdout, r.stderr)
			}
			oneLineError(t, r, 2, "line break")
			g := drover(t, root, "schedule", "get", "x")
			if g.code != 1 {
				t.Fatalf("schedule get x after a refused add: %+v", g)
			}
		})
	}
}
