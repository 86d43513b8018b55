package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// 1ee0e87 makes a command's name at a config file's top a section even
// when a flag has that name, to refuse "worker: 8" (ls --worker). But two
// other commands share their name with flags that worked at the top before
// (ec62c19 took them, as the README says: "every flag ... keyed by flag
// name"): `workers` (the workers command; dev's and bench's --workers) and
// `wait` (the wait command; submit --wait). A file that set `workers: 2`
// for dev and bench, or `wait: false`, is now refused, exit 2, for every
// command, config print included.
func TestReview189ConfigTopFlagNamedLikeCommandRefused(t *testing.T) {
	for _, line := range []string{"workers: 2\n", "wait: false\n"} {
		cfg := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(cfg, []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		res := drover(t, newRoot(), "--config", cfg, "config", "print")
		if res.code != 0 {
			t.Errorf("config file %q (a flag of dev/bench or submit, taken at the top before 1ee0e87): exit %d %q",
				strings.TrimSpace(line), res.code, strings.TrimSpace(res.stderr))
		}
	}
}
