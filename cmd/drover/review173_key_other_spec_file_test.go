package main

import (
	"strings"
	"testing"
)

// TestReview173OneTaskFileSaysNothingOfAKeyOfAnotherSpec: README (--key):
// "a submit of one task says on stderr when the first was submitted with
// another spec, which is then not submitted". b2c0040 says it only for a
// task given on the command line: the same one task given as the one line
// of `submit -f` (a script's usual way to pass a payload-free spec with a
// key), under a key reused with another command, is again returned as the
// first task silently, exit 0, and with --wait its outcome is reported as
// this one's (review172's complaint, through -f).
func TestReview173OneTaskFileSaysNothingOfAKeyOfAnotherSpec(t *testing.T) {
	root := newRoot()
	first := drover(t, root, "submit", "--key", "k1", "--on", "gpu=none", "--", "echo", "one")
	if first.code != 0 {
		t.Fatalf("submit: %+v", first)
	}
	// Setup: the command line says it.
	cli := drover(t, root, "submit", "--key", "k1", "--on", "gpu=none", "--", "echo", "two")
	if cli.code != 0 || !strings.Contains(cli.stderr, "submitted before with another spec") {
		t.Fatalf("setup: the command line did not note another spec under the key: %+v", cli)
	}
	// The same task as the one line of a file.
	file := droverIn(t, root, `{"cmd":["echo","two"],"on":{"gpu":"none"},"key":"k1"}`+"\n", "submit", "-f", "-")
	if file.code != 0 || file.stdout != first.stdout {
		t.Fatalf("submit -f of one task under the key: %+v; want the first id, exit 0", file)
	}
	if !strings.Contains(file.stderr, "submitted before with another spec") {
		t.Errorf("submit -f of one task (another command than the first under key k1) returned the first task %s and said nothing: stderr %q (the command line says: %q)",
			strings.TrimSpace(first.stdout), file.stderr, strings.TrimSpace(cli.stderr))
	}
}
