package main

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// A client command waits out a dropped connection: README, "Every client
// command ... gives up, exit 1, when it has had no session for a whole
// session timeout ...; until then it waits for the server to come back",
// and docs/FAILURES.md, "a client command's connection drops: drover wait
// (one task or many) carries on once connected again ...; submit, cancel,
// retry ... look for their change whose reply was lost". Here the
// connection drops while the command's first read of the task (its result
// and queue item) is in flight, and comes back at once, on the same
// session. wait of one id, cancel and retry fail at once instead, exit 1,
// "get /…/results/…: zookeeper connection lost": the look-up that comes
// before their wait or their write does not wait for the server (wait of
// many ids does; so does a wait's later look).
func TestTaskCommandsOutliveAConnectionDroppedUnderTheirLookup(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	// dropped runs drover args through a proxy whose connection drops
	// (and comes back) once the command has sent its read of the task.
	dropped := func(args ...string) result {
		t.Helper()
		px := drovertest.StartProxy(t, zkAddr)
		px.FreezeAt([]byte(id))
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, append([]string{"--zk", px.Addr(), "--root", root, "--session-timeout", "4s"}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		drovertest.WaitFor(t, 20*time.Second, "the command's read sent", px.Frozen)
		px.Cut(true)
		px.Cut(false)
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return result{code: code, stdout: out.String(), stderr: errb.String()}
	}
	var failed []string
	if r := dropped("cancel", id); r.code != 0 || !strings.Contains(r.stdout, "cancelled "+id) {
		failed = append(failed, "cancel: exit "+strconv.Itoa(r.code)+", "+strings.TrimSpace(r.stderr))
		if r := drover(t, root, "cancel", id); r.code != 0 {
			t.Fatalf("cancel without a drop: %+v", r)
		}
	}
	if r := dropped("retry", id); r.code != 0 || !strings.Contains(r.stdout, "queued "+id) {
		failed = append(failed, "retry: exit "+strconv.Itoa(r.code)+", "+strings.TrimSpace(r.stderr))
		if r := drover(t, root, "retry", id); r.code != 0 {
			t.Fatalf("retry without a drop: %+v", r)
		}
	}
	// Queued again, and no worker: the wait outlives the drop and times out.
	if r := dropped("wait", "--timeout", "8s", id); r.code != 124 {
		failed = append(failed, "wait: exit "+strconv.Itoa(r.code)+", "+strings.TrimSpace(r.stderr)+" (want 124: timed out, the task still queued)")
	}
	if len(failed) > 0 {
		t.Fatalf("the connection dropped under the look-up of the task and came back at once, on the same session:\n%s",
			strings.Join(failed, "\n"))
	}
}
