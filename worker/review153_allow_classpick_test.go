package worker

import (
	"path"
	"testing"

	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// review153: store.dirMay spells a class in the directory before a class
// that ends the worker's directory by the first byte of classPickOrder it
// matches, and judges the directory by that spelling alone. A class that
// also matches a byte outside that order ('+', '~', a multibyte rune...)
// is judged by '.' when it matches '.', though the other byte spells a
// clean directory: "/opt/[.+][/]x" admits /opt/+/x, so "x" found in
// /opt/+, yet the leader never places "x" on the worker (the task waits
// for a worker that runs it, and none ever does in the leader's view).
func TestReview153AllowClassPickRefusesWhatWorkerRuns(t *testing.T) {
	cases := []struct{ pat, program, dir string }{
		{"/opt/[.+][/]x", "x", "/opt/+"},
		{"/opt/.[.+][/]x", "x", "/opt/.+"},
		{"/opt/[.é][/]x", "x", "/opt/é"},
	}
	for _, c := range cases {
		if err := CheckConfig(Config{ID: "w1", Allow: []string{c.pat}}); err != nil {
			t.Fatalf("CheckConfig refuses %q: %v", c.pat, err)
		}
		pol := policy{allow: []string{c.pat}}
		if _, ok := pol.allowed(c.program, path.Join(c.dir, c.program)); !ok {
			t.Fatalf("--allow %q: the worker does not admit %q in %s", c.pat, c.program, c.dir)
		}
		info := &store.WorkerInfo{ID: "w1", Allow: []string{c.pat}}
		if !scheduler.Eligible(info, &store.Task{Cmd: []string{c.program}}) {
			t.Errorf("--allow %q: the leader never places %q, but the worker runs it found in %s", c.pat, c.program, c.dir)
		}
	}
}
