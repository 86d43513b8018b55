package main

import (
	"strings"
	"testing"
)

// TestReview190ConfigLongNameNotNamed: cb59291's mentionsValue names the
// config file for a value the file gave when the message holds it quoted
// in full (or after the flag's words). A name past store.MaxNameLen is
// refused with the value cut ("name \"aaaa…\"...: longer than 128 bytes",
// layout.go's %.20q): neither rule finds it, so a `submit: name:` that is
// too long is refused without the file being named, and the user is told
// of a name found nowhere on the command line (review188's defect, for
// this check).
func TestReview190ConfigLongNameNotNamed(t *testing.T) {
	cfg := writeConfig(t, "submit:\n  name: "+strings.Repeat("a", 300)+"\n")
	r := drover(t, newRoot(), "--config", cfg, "submit", "--", "true")
	t.Logf("exit %d %q", r.code, strings.TrimSpace(r.stderr))
	if r.code != 2 {
		t.Fatalf("want exit 2 for the file's too long name, got %d", r.code)
	}
	if !strings.Contains(r.stderr, cfg) {
		t.Fatalf("the config file's too long name is refused without naming the file %s: %q", cfg, strings.TrimSpace(r.stderr))
	}
}
