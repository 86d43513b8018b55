package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bad value in a config file is refused, exit 2, but most of the messages
// name a command-line flag the user never typed and not the file: a
// `worker: {capacity: 0}` says "drover: --capacity 0: want 1 to 10000".
// An operator whose systemd unit runs `drover --config
// /etc/drover/drover.yaml worker --id %H` finds no --capacity in ExecStart
// and no word of the file in the journal. Some values already say where
// they came from (`submit: {priority: urgent}` says "--config FILE:
// priority: ..."; so do a non-number and an ls state), the range checks do
// not. Expected: every error caused by a config file's value names the
// file, as those do. (review183)
func TestConfigFileValueErrorNamesTheFile(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	for i, c := range []struct {
		body string
		args []string
	}{
		{"submit:\n  priority: urgent\n", []string{"submit", "--", "true"}}, // already names the file
		{"worker:\n  capacity: 0\n", []string{"worker", "--id", "w1"}},
		{"worker:\n  prefetch: -1\n", []string{"worker", "--id", "w1"}},
		{"worker:\n  label: [x]\n", []string{"worker", "--id", "w1"}},
		{"scheduler:\n  timeout-grace: -1s\n", []string{"scheduler", "--id", "s1"}},
		{"scheduler:\n  max-results: -5\n", []string{"scheduler", "--id", "s1"}},
		{"log-level: trace\n", []string{"ls"}},
		{"output: yaml\n", []string{"ls"}},
		{"submit:\n  retries: 5000\n", []string{"submit", "--", "true"}},
		{"submit:\n  timeout: -5s\n", []string{"submit", "--", "true"}},
		{"submit:\n  on: [x]\n", []string{"submit", "--", "true"}},
		{"ls:\n  limit: -1\n", []string{"ls"}},
		{"add:\n  keep-failed: 0\n", []string{"schedule", "add", "n", "--cron", "@daily", "--", "true"}},
	} {
		cfg := filepath.Join(dir, "c"+string(rune('a'+i))+".yaml")
		if err := os.WriteFile(cfg, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		r := drover(t, root, append([]string{"--config", cfg}, c.args...)...)
		if r.code != 2 {
			t.Errorf("config %q, drover %v: exit %d, want 2 (stderr %q)", c.body, c.args, r.code, r.stderr)
			continue
		}
		if !strings.Contains(r.stderr, cfg) {
			t.Errorf("config %q, drover %v: the error does not name the config file it came from: %q",
				c.body, strings.Join(c.args, " "), strings.TrimSpace(r.stderr))
		}
	}
}
