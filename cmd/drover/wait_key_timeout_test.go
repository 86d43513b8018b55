package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// wait --timeout ends with exit 124 when its time runs out while the
// tasks of --key are still being looked up (ZooKeeper slow to answer), as
// when it runs out waiting for them: it exited 1, which a script reads as
// a task that failed.
func TestWaitKeyLookupTimesOutWith124(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--key", "nightly", "--on", "gpu=none", "--", "true"); r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	px := drovertest.StartProxy(t, zkAddr)
	px.HoldAnswersAfter([]byte(store.KeyHash("nightly")))
	t.Cleanup(px.Release)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--zk", px.Addr(), "--root", root, "--session-timeout", "30s",
		"wait", "--timeout", "1s", "--key", "nightly")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitTimedOut || !strings.Contains(errb.String(), "timed out after 1s") {
		t.Fatalf("wait --timeout 1s --key, the key's look-up unanswered: %v; stderr %q; want exit %d, timed out", err, errb.String(), exitTimedOut)
	}
	select {
	case <-px.Held():
	default:
		t.Fatal("the key's look-up was never held: the test did not test it")
	}
}
