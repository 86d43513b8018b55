package main

import (
	"bytes"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// A submit whose transaction is in flight when the store closes says which
// tasks may have been written ("the next 1 may have been, ids X: look for
// them (drover status ID) before you submit them again": store.InFlightError,
// ErrClosed counted as a lost reply). 98bb258's runClient replaces every
// error of a command whose store it closed after an interrupt (interruptWait)
// with "interrupted (ZooKeeper did not answer; a change in flight may or may
// not have landed)" unless it already is an exit 130: drover submit
// interrupted over a silent link no longer names the task in doubt (its id
// is printed nowhere else), where 9fa77a7 kept the command's message under
// exit 130.
func TestReview165InterruptedSubmitLosesTheIDsInDoubt(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--on", "gpu=none", "--", "true"); r.code != 0 { // the tree made
		t.Fatalf("submit: %+v", r)
	}
	const marker = "r165-in-flight-marker"
	px := drovertest.StartProxy(t, zkAddr)
	px.FreezeAt([]byte(marker)) // the submit's transaction: sent, never applied
	cmd := exec.Command(binary, "--zk", px.Addr(), "--root", root, "--session-timeout", "30s",
		"submit", "--on", "gpu=none", "--", "echo", marker)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var done atomic.Bool
	ended := make(chan error, 1)
	go func() { err := cmd.Wait(); done.Store(true); ended <- err }()
	drovertest.WaitFor(t, 20*time.Second, "the submit's transaction sent", px.Frozen)
	_ = cmd.Process.Signal(syscall.SIGINT)
	if !drovertest.Eventually(20*time.Second, done.Load) {
		_ = cmd.Process.Kill()
	}
	err := <-ended
	px.Cut(true)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	stderr := strings.TrimSpace(errb.String())
	if code != 130 {
		t.Fatalf("submit interrupted: exit %d, stdout %q, stderr %q", code, out.String(), stderr)
	}
	if !strings.Contains(stderr, "may have been, ids ") {
		t.Errorf("submit interrupted (SIGINT) with its transaction in flight over a silent link: the message does not name the task that may have been written (stdout %q):\n%s", out.String(), stderr)
	}
}
