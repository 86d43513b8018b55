package main

import (
	"strings"
	"testing"
	"time"
)

// Found by security review (review24): a worker leaves DROVER_ZK_AUTH (and
// DROVER_ZK_AUTH_READONLY) out of its commands' environment (taskEnv's
// secretEnv), so that "a task that submits work needs credentials of its
// own" (README, Security). But a command run without --run-as runs as the
// worker's user, and the worker is its parent: /proc/$PPID/environ, which
// a process of the same user may read, holds the worker's environment as
// it started, credentials included. Any submitter then reads the owner's
// identity, which may change every znode of the cluster (forge an
// assignment onto another worker, rewrite schedules, read every task's env).
func TestCommandsCannotReadTheWorkersCredentialsFromProc(t *testing.T) {
	t.Setenv("DROVER_ZK_AUTH", "owner:s3cret")
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leads", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s1")
	})
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--wait", "--shell", "--", `tr '\0' '\n' < /proc/$PPID/environ | grep '^DROVER_ZK_AUTH=' || true`)
	if r.code != 0 {
		t.Fatalf("submit --wait: %+v", r)
	}
	if strings.Contains(r.stdout, "s3cret") {
		t.Fatalf("a command read its worker's ZooKeeper credentials from /proc/$PPID/environ: %q", strings.TrimSpace(r.stdout))
	}
}
