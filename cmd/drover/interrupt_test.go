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
	defer px.Cut(true)
	return interruptVia(t, root, px.Addr(), px.Frozen, nil, within, args...)
}

// interruptSlow is interruptAt over a link that is slow, not silent: the
// server's answers, held from the request holding marker on, come
// answerAfter the interrupt.
func interruptSlow(t *testing.T, root, marker string, answerAfter, within time.Duration, args ...string) interruptRun {
	t.Helper()
	px := drovertest.StartProxy(t, zkAddr)
	px.HoldAnswersAfter([]byte(marker))
	held := func() bool {
		select {
		case <-px.Held():
			return true
		default:
			return false
		}
	}
	return interruptVia(t, root, px.Addr(), held, func() { time.AfterFunc(answerAfter, px.Release) }, within, args...)
}

// interruptVia runs drover args against ZooKeeper at addr, sends it SIGINT
// once sent says the request in question went out, then calls after (if
// not nil), and reports how the command ended, killing it if it has not
// within the time given.
func interruptVia(t *testing.T, root, addr string, sent func() bool, after func(), within time.Duration, args ...string) interruptRun {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--zk", addr, "--root", root, "--session-timeout", "30s"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var done atomic.Bool
	ended := make(chan error, 1)
	go func() { err := cmd.Wait(); done.Store(true); ended <- err }()
	drovertest.WaitFor(t, 20*time.Second, "the command's request sent", sent)
	_ = cmd.Process.Signal(syscall.SIGINT)
	if after != nil {
		after()
	}
	r := interruptRun{exited: drovertest.Eventually(within, done.Load)}
	if !r.exited {
		_ = cmd.Process.Kill()
	}
	err := <-ended
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	}
	r.stdout, r.stderr = out.String(), strings.TrimSpace(errb.String())
	return r
}
