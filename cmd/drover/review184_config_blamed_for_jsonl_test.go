package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fromFile prefixes "--config FILE:" to any exit-2 message that holds, as a
// word, the name of a flag the config file set (mentionsFlag). The word
// need not be that flag: a line of submit -f's JSONL refused for its own
// "timeout" field says "timeout -5s: must not be negative", and with a
// config file that sets submit's timeout default (any value, a valid one)
// the line reads as the config file's fault:
// "drover: --config c.yaml: submit -f t.jsonl: line 1: timeout -5s: ...".
// The operator looks in the wrong file. (review184)
func TestReview184ConfigFileBlamedForAJSONLLine(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("submit:\n  timeout: 1h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tasks := filepath.Join(dir, "t.jsonl")
	if err := os.WriteFile(tasks, []byte(`{"cmd":["true"],"timeout":"-5s"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "--config", cfg, "submit", "-f", tasks)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2 (stderr %q)", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, cfg) {
		t.Fatalf("a bad line of the task file is blamed on the config file, whose timeout (1h) is valid: %q", strings.TrimSpace(r.stderr))
	}
}
