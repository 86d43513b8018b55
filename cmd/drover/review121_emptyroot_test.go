package main

import (
	"strings"
	"testing"
)

// --root "" (--root "$ROOT" with the variable unset) is taken as the
// default root, /drover (store.NewLayout reads "" as it), without a word:
// the command then reads and changes the default cluster, not the one
// meant (cancel, retry, schedule rm on production instead of a test
// root). It is the very mistake the empty --priority, --catchup,
// --concurrency, --key and now --tz "" (b543dd2) are refused for, exit 2,
// and NewLayout's message was just reworded for the other bad roots
// (5507635), but "" passes. Here a read-only command shows the root it
// took: a cluster at /drover, whose task it lists (its error, with no
// cluster there, said "no Drover cluster at  on ...", naming no root at
// all). (review121)
func TestEmptyRootFlagIsBadInput(t *testing.T) {
	if r := drover(t, "/drover", "submit", "--name", "at-the-default-root", "--", "true"); r.code != 0 {
		t.Fatalf("submit at /drover: %+v", r)
	}
	r := drover(t, newRoot(), "--root", "", "ls")
	if r.code != 2 {
		t.Fatalf("--root \"\" accepted as the default root: exit %d, stdout %q, stderr %q; want one line, exit 2", r.code, r.stdout, strings.TrimSpace(r.stderr))
	}
	oneLineError(t, r, 2, "root")
}
