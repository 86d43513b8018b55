package main

import (
	"strings"
	"testing"
)

// TestReview188ConfigValueRefusedWithoutNamingTheFile: a bad value a config
// file set is refused naming the file (`--config FILE: --capacity 0: ...`,
// review183), but only when the message names the flag as --flag or first
// after the command (fromFile's rule since 5c85fd1): a check that words
// the setting otherwise (schedule add's "starting deadline", "time zone",
// "cron spec"; submit's "task name") names neither the file nor the flag,
// so a user who typed none of it is told of a value found nowhere on the
// command line. Each is exit 2 and one line, as it should be; the file is
// missing from it.
func TestReview188ConfigValueRefusedWithoutNamingTheFile(t *testing.T) {
	root := newRoot()
	for _, c := range []struct {
		file string
		args []string
	}{
		{"add:\n  starting-deadline: -1s\n", []string{"schedule", "add", "x", "--cron", "@hourly", "--", "true"}},
		{"add:\n  tz: Mars/Base\n", []string{"schedule", "add", "x", "--cron", "@hourly", "--", "true"}},
		{"add:\n  cron: bad\n", []string{"schedule", "add", "x", "--", "true"}},
		{"submit:\n  name: a b\n", []string{"submit", "--", "true"}},
	} {
		cfg := writeConfig(t, c.file)
		r := drover(t, root, append([]string{"--config", cfg}, c.args...)...)
		if r.code != 2 || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("config %q, %v: exit %d, stderr %q; want exit 2, one line", c.file, c.args, r.code, r.stderr)
			continue
		}
		if !strings.Contains(r.stderr, cfg) {
			t.Errorf("config %q, %v: %q names not the file %s, where the value came from (no such flag was given)",
				c.file, c.args, strings.TrimSpace(r.stderr), cfg)
		}
	}
}
