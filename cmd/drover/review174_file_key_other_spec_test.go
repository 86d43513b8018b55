package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// submit -f: two lines of one file with the same "key" and different
// commands. Every line is checked before anything is sent, yet the file
// is accepted, exit 0, nothing on stderr: the second line's task is never
// submitted and its line prints the first task's id, so a script takes it
// for submitted. A submit of one task now says when its key names a task
// of another spec (b2c0040); a file that contradicts itself is bad input
// (exit 2, one line naming the line) or, at the least, is said on stderr.
// (review174)
func TestSubmitFileSameKeyTwoSpecs(t *testing.T) {
	root := newRoot()
	f := filepath.Join(t.TempDir(), "batch.jsonl")
	body := `{"cmd":["echo","one"],"key":"k"}` + "\n" + `{"cmd":["echo","two"],"key":"k"}` + "\n"
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "submit", "-f", f)
	if r.code == 2 {
		oneLineError(t, r, 2, "line 2")
		assertNothingWritten(t, root)
		return
	}
	ids := strings.Fields(r.stdout)
	if r.code == 0 && strings.TrimSpace(r.stderr) == "" && len(ids) == 2 && ids[0] == ids[1] {
		t.Fatalf("submit -f with key \"k\" on two lines of different commands: exit 0, ids %v, stderr empty: line 2 (echo two) was silently not submitted", ids)
	}
}
