package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A config file's submit section may give no-retry-exit as a list (the
// flag takes several codes): `submit:\n  no-retry-exit: [2]` is the
// default of every submit, which then ends at an exit 2 at once, retries
// left or not; the command line's flag replaces it.
func TestConfigFileNoRetryExit(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	cfg := filepath.Join(t.TempDir(), "drover.yaml")
	if err := os.WriteFile(cfg, []byte("submit:\n  retries: 3\n  no-retry-exit: [2, 64]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "--config", cfg, "submit", "--wait", "--wait-timeout", "30s", "--", "sh", "-c", "exit 64")
	if r.code != 64 {
		t.Fatalf("submit with the file's no-retry-exit [2, 64], exit 64: %+v; want exit 64", r)
	}
	r = drover(t, root, "--config", cfg, "-o", "json", "ls", "--limit", "1")
	if !strings.Contains(r.stdout, `"attempts": 1`) && !strings.Contains(r.stdout, `"attempts":1`) {
		t.Errorf("the task with the file's no-retry-exit ran more than once:\n%s", r.stdout)
	}
	r = drover(t, root, "--config", cfg, "submit", "--wait", "--wait-timeout", "30s", "--no-retry-exit", "3", "--", "sh", "-c", "exit 64")
	if r.code != 64 {
		t.Fatalf("submit --no-retry-exit 3 over the file's, exit 64: %+v; want exit 64 after its retries", r)
	}
	r = drover(t, root, "--config", cfg, "-o", "json", "ls", "--limit", "1")
	if !strings.Contains(r.stdout, `"attempts": 4`) && !strings.Contains(r.stdout, `"attempts":4`) {
		t.Errorf("the command line's --no-retry-exit 3 did not replace the file's [2, 64]:\n%s", r.stdout)
	}
}
