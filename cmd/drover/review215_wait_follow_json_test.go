package main

import (
	"strings"
	"testing"
)

// wait --follow prints the task's output on stdout; -o json prints the
// task there too. Together the two shared stdout, in an order that
// depended on timing: a task finished already got its JSON first and
// its output after, a running one its output first (and any last lines
// after the JSON), neither parseable. Refused, exit 2, as --follow with
// more than one id is (wait -o json ID has the output in the JSON).
func TestWaitFollowJSONRefused(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--wait", "--shell", "--", "echo one; exit 4")
	if r.code != 4 {
		t.Fatalf("submit --wait: %+v", r)
	}
	id := strings.TrimSpace(r.stderr)
	r = drover(t, root, "-o", "json", "wait", "--follow", id)
	if r.code != 2 {
		t.Fatalf("wait --follow -o json of a finished task: exit %d, stdout %q; want exit 2, refused", r.code, r.stdout)
	}
	oneLineError(t, r, 2, "--follow")
}
