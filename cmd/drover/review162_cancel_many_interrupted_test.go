package main

import (
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// drover cancel ID... (and retry) of many tasks is interrupted with Ctrl-C
// part-way: README, "130 when a client command is interrupted (SIGINT or
// SIGTERM)". newManageCmd's loop never looks at its context: after the
// signal it goes on to cancel every other id named, and, all done, exits
// 0 as if never interrupted. A user who stops `drover cancel $(...)`
// having named the wrong tasks has them all cancelled regardless. Here
// the command's look-up of the second task is held (its link silent),
// SIGINT is sent, and the link comes back: every task named ends
// cancelled, exit 0. Expected: no cancel begun after the signal, exit 130.
func TestReview162CancelOfManyIgnoresAnInterrupt(t *testing.T) {
	root := newRoot()
	var ids []string
	for range 8 {
		r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	px := drovertest.StartProxy(t, zkAddr)
	px.FreezeAt([]byte(ids[1])) // the look-up of the second task
	cmd := exec.Command(binary, append([]string{"--zk", px.Addr(), "--root", root, "--session-timeout", "10s", "cancel"}, ids...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	drovertest.WaitFor(t, 20*time.Second, "the look-up of the second task sent", px.Frozen)
	_ = cmd.Process.Signal(syscall.SIGINT)
	px.Cut(true) // the link back, on the same session
	px.Cut(false)
	var err error
	select {
	case err = <-ended:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("drover cancel did not end")
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	cancelled := strings.Count(out.String(), "cancelled ")
	if code != 130 || cancelled == len(ids) {
		t.Fatalf("drover cancel of %d tasks, interrupted (SIGINT) during the second: exit %d, %d cancelled (stdout %q, stderr %q); "+
			"want exit 130 and the tasks after the interrupt left alone", len(ids), code, cancelled, out.String(), strings.TrimSpace(errb.String()))
	}
}
