package main

import (
	"strings"
	"testing"
)

// TestSubmitSaysWhenAKeyNamesATaskOfAnotherSpec: the same --key returns
// the first task (README), but a reused key with another command said
// nothing, exit 0, and --wait printed the first task's output as this
// one's (review172). A note on stderr now says the first task is returned
// and this one was not submitted; the same spec again says nothing.
func TestSubmitSaysWhenAKeyNamesATaskOfAnotherSpec(t *testing.T) {
	root := newRoot()
	first := drover(t, root, "submit", "--key", "k1", "--on", "gpu=none", "--", "echo", "one")
	if first.code != 0 {
		t.Fatalf("submit: %+v", first)
	}
	same := drover(t, root, "submit", "--key", "k1", "--on", "gpu=none", "--", "echo", "one")
	if same.code != 0 || same.stdout != first.stdout || same.stderr != "" {
		t.Fatalf("the same spec under its key again: %+v; want the first id and nothing said", same)
	}
	other := drover(t, root, "submit", "--key", "k1", "--on", "gpu=none", "--", "echo", "two")
	if other.code != 0 || other.stdout != first.stdout {
		t.Fatalf("another spec under the key: %+v; want the first id, exit 0", other)
	}
	if !strings.Contains(other.stderr, "submitted before with another spec") {
		t.Errorf("a key reused with another command said nothing of it: %q", other.stderr)
	}
}
