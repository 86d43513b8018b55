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

// README, exit codes: "130 when a client command is interrupted ... within
// a second even over a link gone silent (a change in flight then may or may
// not have landed ...)". 585cb36's runClient keeps only an exitError's own
// message after an interrupt that closed the store; every other error of
// the command now gets "interrupted (ZooKeeper did not answer)", the clause
// "a change in flight may or may not have landed" dropped. drover schedule
// rm interrupted (SIGINT) with its tombstone write sent and never answered
// fails with client.ErrUnconfirmed ("outcome unknown"), which is no
// exitError: the user is no longer told the removal may have landed.
func TestReview166InterruptedScheduleRmLosesInDoubt(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "schedule", "add", "r166", "--cron", "@hourly", "--suspend", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	px := drovertest.StartProxy(t, zkAddr)
	px.FreezeAt([]byte(`"removed":true`)) // the tombstone's set: sent, never applied
	cmd := exec.Command(binary, "--zk", px.Addr(), "--root", root, "--session-timeout", "30s",
		"schedule", "rm", "r166")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var done atomic.Bool
	ended := make(chan error, 1)
	go func() { err := cmd.Wait(); done.Store(true); ended <- err }()
	drovertest.WaitFor(t, 20*time.Second, "the tombstone's write sent", px.Frozen)
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
		t.Fatalf("schedule rm interrupted: exit %d, stdout %q, stderr %q", code, out.String(), stderr)
	}
	if !strings.Contains(stderr, "may or may not") && !strings.Contains(stderr, "unknown") {
		t.Errorf("schedule rm interrupted (SIGINT) with its write in flight over a silent link: the message does not say the removal may have landed:\n%s", stderr)
	}
}
