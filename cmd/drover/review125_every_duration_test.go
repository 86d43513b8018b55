package main

import (
	"strings"
	"testing"
)

// Commit e76d2e8 made a duration that does not parse say what was wanted
// (`--timeout "5x": want a duration such as 90s, 5m or 1h30m`) instead of
// time.ParseDuration's text. The duration of an @every spec, given with
// --cron (or a config file's cron:), still answers with the parser's text:
// `cron spec: failed to parse duration @every 5x: time: unknown unit "x" in
// duration "5x"` (and for "1h-5m": unknown unit "h-").
func TestReview125EveryDurationErrorSaysWhatWasWanted(t *testing.T) {
	root := newRoot()
	for _, every := range []string{"@every 5x", "@every 1h-5m", "@every 5"} {
		r := drover(t, root, "schedule", "add", "tick", "--cron", every, "--", "true")
		oneLineError(t, r, 2, "cron spec")
		if strings.Contains(r.stderr, "time: ") || !strings.Contains(r.stderr, "want") {
			t.Errorf("--cron %q: %q: time.ParseDuration's text, not what was wanted (as --timeout says: want a duration such as 90s, 5m or 1h30m)", every, strings.TrimSpace(r.stderr))
		}
	}
}
