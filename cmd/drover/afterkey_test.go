package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-sched/drover/store"
)

// README: "a file can hold a whole graph": lines wait for earlier lines'
// tasks by key (after_key), across the file's transactions too, and the
// command line waits for a task by its key (--after-key). A key no task
// has, or one only a later line gives, refuses the file (exit 2, its
// line named) before any line is sent; a resubmit of the file is the same
// tasks again.
func TestSubmitAfterKey(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	write := func(name string, lines ...string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	oneLineError(t, drover(t, root, "submit", "--after-key", "nope", "--", "true"), 2, `submit: --after-key "nope": no task has this key`)
	late := write("late.jsonl", `{"cmd":["true"]}`, `{"cmd":["true"],"after_key":["b"]}`, `{"cmd":["true"],"key":"b"}`)
	oneLineError(t, drover(t, root, "submit", "-f", late), 2, `line 2: after_key "b": no task has this key (a line that gives it must come before the line that waits for it)`)
	oneLineError(t, drover(t, root, "submit", "-f", late, "--after-key", "b"), 2, "--after-key describes one task")
	if r := drover(t, root, "ls", "-o", "json"); strings.Contains(r.stdout, `"id"`) {
		t.Fatalf("a refused file wrote tasks: %s", r.stdout)
	}

	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "8")
	log := filepath.Join(dir, "log")
	step := func(name string) string {
		return fmt.Sprintf(`["sh","-c","echo %s >> %s"]`, name, log)
	}
	// More lines than one transaction holds: the last waits for a task
	// sent in the file's first transaction and one in its own.
	lines := []string{
		`{"cmd":` + step("extract") + `,"key":"extract"}`,
		`{"cmd":` + step("transform") + `,"key":"transform","after_key":["extract"]}`,
	}
	for i := range store.MaxBatch + 10 {
		lines = append(lines, fmt.Sprintf(`{"cmd":["true"],"key":"filler-%d"}`, i))
	}
	lines = append(lines, `{"cmd":`+step("load")+`,"key":"load","after_key":["transform","filler-1","extract"]}`)
	graph := write("graph.jsonl", lines...)
	r := drover(t, root, "submit", "--wait", "-f", graph)
	if r.code != 0 {
		t.Fatalf("submit --wait -f graph: %+v", r)
	}
	data, err := os.ReadFile(log)
	if err != nil || string(data) != "extract\ntransform\nload\n" {
		t.Fatalf("the steps ran as %q (%v), want extract, transform, load in turn", data, err)
	}
	ids := strings.Fields(drover(t, root, "submit", "-f", graph).stdout)
	if len(ids) != len(lines) {
		t.Fatalf("the file again: %d ids for %d lines", len(ids), len(lines))
	}
	st := drover(t, root, "status", ids[len(ids)-1])
	for _, id := range []string{ids[0], ids[1], ids[3]} {
		if !strings.Contains(st.stdout, id) {
			t.Fatalf("status of the last line's task does not name %s (after):\n%s", id, st.stdout)
		}
	}
	if r := drover(t, root, "submit", "--wait", "--after-key", "load", "--", "echo", "done"); r.code != 0 || r.stdout != "done\n" {
		t.Fatalf("submit --after-key load: %+v", r)
	}
}
