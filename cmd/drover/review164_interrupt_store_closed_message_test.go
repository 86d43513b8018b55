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

// 9fa77a7 ends an interrupted command within a second over a silent link
// by closing its store under it (runClient, interruptWait). The exit code
// is 130, but what the command says is the error of the read the close
// failed: "drover: get ROOT/results/..: store closed" (status), "drover:
// cancel: get ...: store closed" (cancel), where drover wait interrupted
// in the same spot says "drover: interrupted". The store was closed by
// drover itself, because of the signal: the message should say the command
// was interrupted (and, for a change in flight, that its outcome is
// unknown), not report an internal "store closed".
func TestReview164InterruptedOverSilentLinkSaysStoreClosed(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	// interrupted runs drover args through a proxy that goes silent once
	// the command has sent a request holding the task's id, sends it
	// SIGINT, and returns its exit code and stderr.
	interrupted := func(args ...string) (int, string) {
		px := drovertest.StartProxy(t, zkAddr)
		px.FreezeAt([]byte(id[:6])) // its time bucket: in every path of it
		cmd := exec.Command(binary, append([]string{"--zk", px.Addr(), "--root", root, "--session-timeout", "30s"}, args...)...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var done atomic.Bool
		ended := make(chan error, 1)
		go func() { err := cmd.Wait(); done.Store(true); ended <- err }()
		drovertest.WaitFor(t, 20*time.Second, "the command's read sent", px.Frozen)
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
		return code, strings.TrimSpace(errb.String())
	}
	if code, stderr := interrupted("wait", id); code != 130 || stderr != "drover: interrupted" {
		t.Fatalf("control: wait: exit %d, %q", code, stderr)
	}
	var bad []string
	for _, args := range [][]string{{"status", id}, {"cancel", id}} {
		code, stderr := interrupted(args...)
		if code != 130 {
			t.Fatalf("%s: exit %d, %q", args[0], code, stderr)
		}
		if strings.Contains(stderr, "store closed") || !strings.Contains(stderr, "interrupted") {
			bad = append(bad, args[0]+": "+stderr)
		}
	}
	if len(bad) > 0 {
		t.Errorf("interrupted (SIGINT) over a silent link, exit 130, but the message is the closed store's, not 'interrupted' (as wait says):\n%s", strings.Join(bad, "\n"))
	}
}
