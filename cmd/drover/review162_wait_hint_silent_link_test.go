package main

import (
	"bytes"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// drover wait --timeout D of one task still queued starts hintQueued, whose
// c.Status a second in says why the task waits. When the link to ZooKeeper
// has gone silent (a partition: nothing answers, nothing is closed), that
// Status blocks until the client notices the dead link (two thirds of the
// session timeout) and then waits for a new session (a session timeout
// more): client.Wait returns at the deadline (withCtx, made for exactly
// this), but waitAll's stop() waits for the hint's Status to end, so the
// command exits 124 only some 50 s after a --timeout of 4s with a 30s
// session timeout (and a Ctrl-C, 130, waits the same). A wait of two ids,
// which starts no hint, exits at its timeout. The hint's reads should take
// the context, or stop() should not wait for them.
func TestReview162WaitTimeoutOverASilentLinkIsHeldByTheQueuedHint(t *testing.T) {
	root := newRoot()
	var ids []string
	for range 2 {
		r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	// wait runs drover wait --timeout 4s through a proxy that goes silent
	// once the command has sent its first read of the tasks, and reports
	// whether it exited within 15 s (its timeout 4 s), with its exit code.
	wait := func(ids ...string) (exited bool, code int, stderr string) {
		px := drovertest.StartProxy(t, zkAddr)
		px.FreezeAt([]byte(ids[0][:6])) // its time bucket: a path of every read of it
		args := append([]string{"--zk", px.Addr(), "--root", root, "--session-timeout", "30s", "wait", "--timeout", "4s"}, ids...)
		cmd := exec.Command(binary, args...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var done atomic.Bool
		ended := make(chan error, 1)
		go func() { err := cmd.Wait(); done.Store(true); ended <- err }()
		drovertest.WaitFor(t, 20*time.Second, "the wait's read sent", px.Frozen)
		exited = drovertest.Eventually(15*time.Second, done.Load)
		if !exited {
			_ = cmd.Process.Kill()
		}
		err := <-ended
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		px.Cut(true)
		return exited, code, strings.TrimSpace(errb.String())
	}
	if exited, code, stderr := wait(ids...); !exited || code != 124 {
		t.Fatalf("control: wait of two ids over a silent link: exited in time %v, exit %d, %q", exited, code, stderr)
	}
	if exited, code, stderr := wait(ids[0]); !exited || code != 124 {
		t.Fatalf("wait --timeout 4s of one queued task over a link gone silent: exited within 15 s: %v (exit %d, %q); "+
			"the same wait of two tasks exits 124 at its timeout: the queued hint's Status, read without the context, holds it", exited, code, stderr)
	}
}
