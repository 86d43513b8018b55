package main

import (
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
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
	px := drovertest.StartProxy(t, zkAddr)
	px.FreezeAt([]byte(lay.Result(id))) // the look-up of the key's task, after the submit
	cmd := exec.Command(binary, "--zk", px.Addr(), "--root", root, "--session-timeout", "10s",
		"submit", "--key", "rv197k", "--on", "gpu=none", "--", "echo", "two")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	drovertest.WaitFor(t, 20*time.Second, "the look-up of the key's task sent", px.Frozen)
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case err = <-ended:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("drover submit did not end")
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if strings.TrimSpace(out.String()) != id {
		t.Fatalf("submit printed %q, want the key's task %s", out.String(), id)
	}
	if code != 130 || strings.Contains(errb.String(), "could not be read to compare") {
		t.Fatalf("submit --key of a task submitted before, interrupted while that task was read to compare specs: exit %d, stderr %q; "+
			"want exit 130 saying it was interrupted, not that the task could not be read", code, strings.TrimSpace(errb.String()))
	}
}
