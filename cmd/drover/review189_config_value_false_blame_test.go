package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// e1f8f97's mentionsValue names the config file when an exit-2 message
// holds, as a token, the value the file gave any flag of the command. A
// file's `output: json` (the global -o, set for every command) is then
// blamed for a bad line of a task file named tasks.json: the message names
// "tasks.json", whose "json" is a token to mentionsValue, and the user is
// sent to a config file that holds nothing wrong.
func TestReview189ConfigValueFalseBlame(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("output: json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tasks := filepath.Join(dir, "tasks.json")
	if err := os.WriteFile(tasks, []byte(`{"cmd": ["true"], "retries": 5000}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := drover(t, newRoot(), "--config", cfg, "submit", "-f", tasks)
	t.Logf("exit %d %q", res.code, strings.TrimSpace(res.stderr))
	if res.code != 2 {
		t.Fatalf("want exit 2 for the task file's bad line")
	}
	if strings.Contains(res.stderr, "--config "+cfg) {
		t.Fatalf("a bad line of tasks.json is blamed on the config file (it sets only output: json): %q", strings.TrimSpace(res.stderr))
	}
}
