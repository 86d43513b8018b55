package main

import "testing"

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
}
