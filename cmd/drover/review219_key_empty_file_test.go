package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReview219CancelKeyWithEmptyFile: cancel and retry take --key "as
// well as the ids given", -f's included, as wait does; but with -f naming
// a file of no ids (an empty listing piped in), the --key given counted
// for nothing: "cancel: no task ids given (FILE holds none)", exit 2, where
// wait --key K -f FILE waits for the key's task.
func TestReview219CancelKeyWithEmptyFile(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--key", "r219-empty", "--in", "1h", "--", "true"); r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	empty := filepath.Join(t.TempDir(), "ids.txt")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "cancel", "--key", "r219-empty", "-f", empty); r.code != 0 || !strings.HasPrefix(r.stdout, "cancelled ") {
		t.Fatalf("cancel --key K -f EMPTY: %+v", r)
	}
	if r := droverIn(t, root, "", "retry", "--key", "r219-empty", "-f", "-"); r.code != 0 || !strings.HasPrefix(r.stdout, "queued ") {
		t.Fatalf("retry --key K -f - (nothing on stdin): %+v", r)
	}
}
