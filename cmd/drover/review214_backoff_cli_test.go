package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A task's --backoff is part of its spec: a key resubmitted with another
// backoff says so, and with the same says nothing; schedule add --update
// with another backoff is updated, with the same unchanged; export and
// apply round-trip it; a config file's submit section gives it. (review214)
func TestBackoffIsPartOfTheSpec(t *testing.T) {
	root := newRoot()
	first := drover(t, root, "submit", "--key", "kb", "--on", "gpu=none", "--backoff", "30s", "--", "true")
	if first.code != 0 {
		t.Fatalf("submit: %+v", first)
	}
	if same := drover(t, root, "submit", "--key", "kb", "--on", "gpu=none", "--backoff", "30s", "--", "true"); same.code != 0 || same.stdout != first.stdout || same.stderr != "" {
		t.Fatalf("the same backoff under its key again: %+v; want the first id and nothing said", same)
	}
	if other := drover(t, root, "submit", "--key", "kb", "--on", "gpu=none", "--backoff", "31s", "--", "true"); other.code != 0 ||
		other.stdout != first.stdout || !strings.Contains(other.stderr, "another spec") {
		t.Fatalf("another backoff under the key: %+v; want the first id, and another spec said", other)
	}

	add := func(backoff string) result {
		return drover(t, root, "schedule", "add", "nightly", "--update", "--cron", "0 2 * * *", "--backoff", backoff, "--", "true")
	}
	if r := add("1m"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	if r := add("1m"); r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("schedule add --update with the same backoff: %+v; want unchanged", r)
	}
	if r := add("2m"); r.code != 0 || !strings.Contains(r.stdout, "updated") {
		t.Errorf("schedule add --update with another backoff: %+v; want updated", r)
	}
	exp := drover(t, root, "schedule", "export")
	if exp.code != 0 || !strings.Contains(exp.stdout, "backoff: 2m") {
		t.Fatalf("schedule export: %+v; want backoff: 2m", exp)
	}
	file := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(file, []byte(exp.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "schedule", "apply", "-f", file); r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("schedule apply of its export: %+v; want unchanged", r)
	}

	cfg := filepath.Join(t.TempDir(), "drover.yaml")
	if err := os.WriteFile(cfg, []byte("submit:\n  backoff: 30s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "--config", cfg, "submit", "--on", "gpu=none", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit with the file's backoff: %+v", r)
	}
	if s := drover(t, root, "status", strings.TrimSpace(r.stdout)); !strings.Contains(s.stdout, "30s before the first retry") {
		t.Errorf("status of a task submitted with the config file's backoff: 30s:\n%s", s.stdout)
	}
}
