package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview157CancelledRunKeepsItsOutput: a user cancels a task that hangs
// to find out why it hangs. `drover logs ID` of a task cancelled while it
// ran prints nothing, exit 0, without a note, and `--attempt 1` likewise:
// the cancel writes the result (the attempt with no output) and the worker,
// its assignment withdrawn, kills the command and reports nothing ("attempt
// killed; not reporting"), so what the command printed is gone. A task
// that ran into its --timeout, killed by the same worker, keeps its
// output. Expected: the output of the cancelled run (its tail), or at the
// least a note that it was not kept.
func TestReview157CancelledRunKeepsItsOutput(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	printed := filepath.Join(t.TempDir(), "printed")
	r := drover(t, root, "submit", "--shell", "--", "echo progress-line; echo err-line >&2; touch "+printed+"; while :; do sleep 0.05; done")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	drovertest.WaitFor(t, 30*time.Second, "the task to print", func() bool { _, err := os.Stat(printed); return err == nil })
	if r := drover(t, root, "cancel", id); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	var l result
	if !drovertest.Eventually(10*time.Second, func() bool {
		l = drover(t, root, "logs", id)
		return l.code != 0 || strings.Contains(l.stdout, "progress-line") || l.stderr != ""
	}) {
		t.Errorf("logs of a task cancelled while it ran: %+v; want its output (progress-line / err-line) or a note that it was not kept", l)
	}
}
