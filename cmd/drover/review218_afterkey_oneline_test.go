package main

import (
	"os"
	"path/filepath"
	"testing"
)

// README, submit -f: a key no earlier line gives is looked up before any
// line is sent, "refused, exit 2, by the first line that names it: `line
// 7: after_key "load": no task has this key ...`". A file of one line was
// taken for a command line's task (for its note of a key's other spec),
// and so skipped that check: Submit refused it with neither the file nor
// the line named ("after_key "nope": no task has this key"), where the
// same line with another before it says "submit -f FILE: line 2: ...".
func TestReview218OneLineFileNamesItsLine(t *testing.T) {
	root := newRoot()
	p := filepath.Join(t.TempDir(), "one.jsonl")
	if err := os.WriteFile(p, []byte(`{"cmd":["true"],"after_key":["nope"]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, drover(t, root, "submit", "-f", p), 2, `one.jsonl: line 1: after_key "nope": no task has this key`)
}
