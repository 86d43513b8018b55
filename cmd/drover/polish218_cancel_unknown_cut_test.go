package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// cancel -f (and retry -f, the same code) of a file of ids the cluster does
// not know printed a line for each: 100,000 ids from another cluster's
// submit -f, 100,000 lines of "task X not found". Expected: in the text
// output the first 20 of them, then one line counting the rest;
// -o json, read by scripts, keeps every line. The exit code stays 1.
// (polish218)
func TestCancelFileOfUnknownIDsIsCut(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--", "true") // no worker: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	known := strings.TrimSpace(r.stdout)
	const unknownIDs, shown = 200, 20 // shown: manage.go's unknownShown
	var ids, unknown []string
	for i := range unknownIDs {
		if i == 50 {
			ids = append(ids, known)
		}
		id := store.NewTaskID(time.Now().Add(-48 * time.Hour))
		ids = append(ids, id)
		unknown = append(unknown, id)
	}
	file := filepath.Join(t.TempDir(), "ids")
	if err := os.WriteFile(file, []byte(strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cut := func(verb string) string {
		var want strings.Builder
		for _, id := range unknown[:shown] {
			fmt.Fprintf(&want, "drover: %s: task %s not found\n", verb, id)
		}
		fmt.Fprintf(&want, "drover: %s: and %d more tasks not found (-o json names each)\n", verb, unknownIDs-shown)
		return want.String()
	}
	every := func(verb string) string {
		var want strings.Builder
		for _, id := range unknown {
			fmt.Fprintf(&want, "drover: %s: task %s not found\n", verb, id)
		}
		return want.String()
	}

	r = drover(t, root, "cancel", "-f", file)
	if r.code != 1 || r.stdout != "cancelled "+known+"\n" || r.stderr != cut("cancel") {
		t.Errorf("cancel -f: exit %d, stdout %q, stderr %s; want exit 1, the known one cancelled, and stderr %s",
			r.code, r.stdout, sketch(r.stderr), sketch(cut("cancel")))
	}
	// retry shares the code: the same cut; -o json cuts nothing.
	r = drover(t, root, "-o", "json", "retry", "-f", file)
	var tasks []map[string]any
	if r.code != 1 || json.Unmarshal([]byte(r.stdout), &tasks) != nil || len(tasks) != 1 || tasks[0]["id"] != known || r.stderr != every("retry") {
		t.Errorf("-o json retry -f: exit %d, stdout %q, stderr (%d lines); want exit 1, the known one queued, and every unknown id's line",
			r.code, r.stdout, strings.Count(r.stderr, "\n"))
	}
	r = drover(t, root, "cancel", "-f", file)
	if r.code != 1 || r.stdout != "cancelled "+known+"\n" || r.stderr != cut("cancel") {
		t.Errorf("cancel -f again: exit %d, stdout %q, stderr %s; want %s", r.code, r.stdout, sketch(r.stderr), sketch(cut("cancel")))
	}
	r = drover(t, root, "retry", "-f", file)
	if r.code != 1 || r.stdout != "queued "+known+"\n" || r.stderr != cut("retry") {
		t.Errorf("retry -f: exit %d, stdout %q, stderr %s; want %s", r.code, r.stdout, sketch(r.stderr), sketch(cut("retry")))
	}
	// Fewer than the cut: every line, and no count.
	r = drover(t, root, "cancel", unknown[0], unknown[1])
	if want := every("cancel")[:2*len("drover: cancel: task "+unknown[0]+" not found\n")]; r.code != 1 || r.stderr != want {
		t.Errorf("cancel of two unknown ids: exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
}

// sketch is s's line count and last line.
func sketch(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return fmt.Sprintf("(%d lines, the last %q)", len(lines), lines[len(lines)-1])
}
