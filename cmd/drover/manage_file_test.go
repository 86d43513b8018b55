package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cancel -f and retry -f take their ids from a file or standard input, as
// wait -f does, with ids on the command line too; an id given twice is
// acted on once.
func TestCancelAndRetryReadIDsFromAFile(t *testing.T) {
	root := newRoot()
	var ids []string
	for range 3 {
		r := drover(t, root, "submit", "--", "true") // no worker: they stay queued
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	file := filepath.Join(t.TempDir(), "ids")
	if err := os.WriteFile(file, []byte(ids[1]+"\n"+ids[2]+"\n"+strings.ToLower(ids[1])+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "cancel", ids[0], "-f", file)
	if r.code != 0 || strings.Count(r.stdout, "cancelled ") != 3 {
		t.Fatalf("cancel ID -f FILE: %+v; want the three cancelled once each", r)
	}
	for _, id := range ids {
		if r := drover(t, root, "-o", "json", "status", id); !strings.Contains(r.stdout, `"state": "cancelled"`) {
			t.Fatalf("status %s after cancel -f: %+v", id, r)
		}
	}
	r = droverIn(t, root, strings.Join(ids, " "), "retry", "-f", "-")
	if r.code != 0 || strings.Count(r.stdout, "queued ") != 3 {
		t.Fatalf("retry -f -: %+v; want the three queued", r)
	}
	if r := droverIn(t, root, "\n", "cancel", "-f", "-"); r.code != 2 || !strings.Contains(r.stderr, "no task ids given (standard input holds none)") {
		t.Fatalf("cancel -f - of nothing: %+v; want exit 2", r)
	}
	if r := drover(t, root, "cancel"); r.code != 2 {
		t.Fatalf("cancel of nothing: %+v; want exit 2", r)
	}
}
