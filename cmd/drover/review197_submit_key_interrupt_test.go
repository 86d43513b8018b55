package main

import (
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// drover submit --key K of one task whose key names a task submitted
// before reads that task to compare its spec (noteOtherSpec), after the
// submit. Interrupted there (the read held on a silent link), the store is
// closed under the read, and a1d6fc3's line says the task "could not be
// read to compare its spec with this one" (the closed store's error), and
// the command exits 0 as if never interrupted. submit -f of many lines
// (keyCheck.check) looks at its context for just this: "a read the closed
// store failed would pass for the same spec", and exits 130 saying it was
// interrupted while reading the tasks the keys named. Expected here too:
// exit 130, and no line blaming the task's record for the interrupt.
func TestReview197SubmitKeyCompareInterruptedSaysUnread(t *testing.T) {
	root := newRoot()
	first := drover(t, root, "submit", "--key", "rv197k", "--on", "gpu=none", "--", "echo", "one")
	if first.code != 0 {
		t.Fatalf("submit: %+v", first)
	}
	id := strings.TrimSpace(first.stdout)
	lay, err := store.NewLayout(root)
	if err != nil {
		t.Fatal(err)
	}
	// The look-up of the key's task, after the submit, held: its link silent.
	run := interruptAt(t, root, lay.Result(id), 60*time.Second, "submit", "--key", "rv197k", "--on", "gpu=none", "--", "echo", "two")
	if !run.exited {
		t.Fatal("drover submit did not end")
	}
	if strings.TrimSpace(run.stdout) != id {
		t.Fatalf("submit printed %q, want the key's task %s", run.stdout, id)
	}
	if run.code != 130 || strings.Contains(run.stderr, "could not be read to compare") {
		t.Fatalf("submit --key of a task submitted before, interrupted while that task was read to compare specs: exit %d, stderr %q; "+
			"want exit 130 saying it was interrupted, not that the task could not be read", run.code, run.stderr)
	}
}
