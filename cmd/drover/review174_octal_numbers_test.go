package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Whole-number flags are pflag's, which parse with strconv base 0: a
// leading 0 is octal, 0x hex, 0b binary, and _ separates digits. So
// `--retries 010` submits a task with 8 retries, exit 0, and a config
// file's `retries: 010` does the same, where the README promises a file's
// value "reaches its flag as written ... not YAML's octal". A number written
// with a leading zero is either ten or bad input (exit 2, one line), never
// silently eight. (review174)
func TestNumberFlagWithLeadingZeroIsNotOctal(t *testing.T) {
	root := newRoot()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("submit:\n  retries: 010\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"submit", "--retries", "010", "--", "true"},
		{"--config", cfg, "submit", "--", "true"},
	} {
		r := drover(t, root, args...)
		if r.code == 2 {
			oneLineError(t, r, 2, "010")
			continue
		}
		if r.code != 0 {
			t.Fatalf("drover %s: %+v", strings.Join(args, " "), r)
		}
		var task map[string]any
		if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", strings.TrimSpace(r.stdout)).stdout), &task); err != nil {
			t.Fatal(err)
		}
		if task["retries"] != float64(10) {
			t.Errorf("drover %s: exit 0, task has retries %v: \"010\" was read as octal; want 10 or exit 2",
				strings.Join(args, " "), task["retries"])
		}
	}
}
