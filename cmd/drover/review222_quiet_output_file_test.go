package main

import (
	"strings"
	"testing"
)

// TestReview222QuietOutputFromFileBlamesFile: a config file's output: json
// (or wide) refuses ls -q, and wait --follow, in words of a flag the user
// never typed ("not with -o json"), without naming the file, where README
// says a bad value a config file set names it (--config FILE: ...), as it
// does when the file sets quiet instead.
func TestReview222QuietOutputFromFileBlamesFile(t *testing.T) {
	root := newRoot()
	for _, o := range []string{"json", "wide"} {
		cfg := writeConfig(t, "output: "+o+"\n")
		oneLineError(t, drover(t, root, "--config", cfg, "ls", "-q"), 2, "--config "+cfg+": ls: --quiet prints the ids alone: not with -o "+o)
	}
	cfg := writeConfig(t, "output: json\n")
	oneLineError(t, drover(t, root, "--config", cfg, "wait", "--follow", "01J0000000000000000000000A"), 2, "--config "+cfg+": wait: --follow prints")
	// A value typed that reads as the shorthand ("-o") is no sign of it.
	r := drover(t, root, "--config", cfg, "submit", "--timeout", "-o", "--", "true")
	oneLineError(t, r, 2, `--timeout "-o"`)
	if strings.Contains(r.stderr, cfg) {
		t.Fatalf("a bad --timeout typed is blamed on the config file, whose output: json is valid: %q", r.stderr)
	}
}
