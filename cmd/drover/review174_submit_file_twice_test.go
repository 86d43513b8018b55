package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// submit -f A -f B: -f is a plain string flag, so the last one wins and
// A is never read. Exit 0, one id (B's task): the tasks of A are dropped
// without a word, where a user (or a script building `-f "$f"` per file)
// meant both. --on and --label given twice with two values are refused
// for this reason; -f given twice must be bad usage (exit 2, one line,
// nothing written) or submit both files. (wait -f A -f B likewise reads
// only B.) (review174)
func TestSubmitFileFlagGivenTwice(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	if err := os.WriteFile(a, []byte(`{"cmd":["echo","a"]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(`{"cmd":["echo","b"]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "submit", "-f", a, "-f", b)
	if r.code == 2 {
		oneLineError(t, r, 2, "")
		assertNothingWritten(t, root)
		return
	}
	if ids := strings.Fields(r.stdout); r.code != 0 || len(ids) != 2 {
		t.Fatalf("submit -f a.jsonl -f b.jsonl: exit %d, ids %v, stderr %q: want both files' 2 tasks submitted, or exit 2", r.code, ids, r.stderr)
	}
}
