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

// README, exit codes: "130 when a client command is interrupted (SIGINT or
// SIGTERM), connecting included". A client command whose link to ZooKeeper
// has gone silent (a partition) is interrupted with Ctrl-C: drover wait
// exits 130 at once (client.Wait returns at its context's end), but
// drover cancel and status do not: their look-up of the task takes no
// context (client.lookup waits for the store with context.Background()),
// so they hang on until the client notices the dead link (two thirds of
// the session timeout) and waits a session timeout more for a new
// session: with --session-timeout 30s they exit 130 some 50 s after the
// signal (17 s with the default 10s), the interrupt ignored meanwhile.
// (cancel and retry of many ids go on to the next id after a signal, too.)
func TestReview162InterruptOverASilentLinkExits130(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	// interrupted runs drover args through a proxy that goes silent once
	// the command has sent a request holding the task's id, then sends it
	// SIGINT, and reports whether it exited within 10 s, and how.
	interrupted := func(args ...string) string {
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
		exited := drovertest.Eventually(10*time.Second, done.Load)
		if !exited {
			_ = cmd.Process.Kill()
		}
		err := <-ended
		px.Cut(true)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if exited && code == 130 {
			return ""
		}
		if !exited {
			return args[0] + ": still running 10 s after SIGINT"
		}
		return args[0] + ": exit " + string(rune('0'+code/100)) + string(rune('0'+code/10%10)) + string(rune('0'+code%10)) + ", " + strings.TrimSpace(errb.String())
	}
	if bad := interrupted("wait", id); bad != "" {
		t.Fatalf("control: %s", bad)
	}
	var failed []string
	for _, args := range [][]string{{"cancel", id}, {"status", id}} {
		if bad := interrupted(args...); bad != "" {
			failed = append(failed, bad)
		}
	}
	if len(failed) > 0 {
		t.Fatalf("interrupted (SIGINT) with the link to ZooKeeper silent under the look-up of the task; want exit 130, as wait gives:\n%s",
			strings.Join(failed, "\n"))
	}
}
