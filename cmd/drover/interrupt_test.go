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

// interruptRun is how a command interrupted by interruptAt ended.
type interruptRun struct {
	exited         bool // within the time given
	code           int
	stdout, stderr string // stderr trimmed
}

// interruptAt runs drover args through a proxy that goes silent once the
// command sends a request holding marker, sends it SIGINT there, and
// reports how it ended, killing it if it has not within the time given.
func interruptAt(t *testing.T, root, marker string, within time.Duration, args ...string) interruptRun {
	t.Helper()
	px := drovertest.StartProxy(t, zkAddr)
	px.FreezeAt([]byte(marker))
	cmd := exec.Command(binary, append([]string{"--zk", px.Addr(), "--root", root, "--session-timeout", "30s"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var done atomic.Bool
	ended := make(chan error, 1)
	go func() { err := cmd.Wait(); done.Store(true); ended <- err }()
	drovertest.WaitFor(t, 20*time.Second, "the command's request sent", px.Frozen)
	_ = cmd.Process.Signal(syscall.SIGINT)
	r := interruptRun{exited: drovertest.Eventually(within, done.Load)}
	if !r.exited {
		_ = cmd.Process.Kill()
	}
	err := <-ended
	px.Cut(true)
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	}
	r.stdout, r.stderr = out.String(), strings.TrimSpace(errb.String())
	return r
}
