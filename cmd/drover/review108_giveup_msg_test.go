package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// cancel (and retry) print one line per task that failed, then exit 1
// with an empty message. When the command also gave up on ZooKeeper (no
// session for a whole session timeout), runClient wraps that empty message
// as "%s (no session with ZooKeeper at ... for ..., the session timeout)",
// and drover prints "drover:  (no session with ZooKeeper at ...)": a line
// that is all parenthesis, its cause missing. Here the first cancel's
// reply is lost and the server stays away.
func TestCancelGivingUpOnZooKeeperPrintsNoEmptyMessage(t *testing.T) {
	root := newRoot()
	var ids []string
	for range 2 {
		r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	px := drovertest.StartProxy(t, zkAddr)
	px.DropRepliesAfter([]byte(`"state":"cancelled"`))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--zk", px.Addr(), "--root", root, "--session-timeout", "3s", "cancel"}, ids...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "the first cancel's write sent", px.Dropping)
	px.Freeze() // and the server stays away
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("cancel: %v; stderr %q", err, errb.String())
	}
	for _, line := range strings.Split(strings.TrimRight(errb.String(), "\n"), "\n") {
		if msg, _ := strings.CutPrefix(line, "drover:"); strings.TrimSpace(msg) == "" || strings.HasPrefix(strings.TrimSpace(msg), "(") {
			t.Fatalf("cancel, its first reply lost and ZooKeeper gone: stderr %q; the line %q names no cause", errb.String(), line)
		}
	}
}
