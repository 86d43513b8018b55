package main

import (
	"strings"
	"testing"
	"time"
)

// a5cf585 made the read-only identity's look-up of a placed task fail with
// ErrNoAuth when a worker's tasks/ directory is hidden from it (a worker
// started without DROVER_ZK_AUTH_READONLY made it), its error naming the
// worker directories ("list assignments: 1 worker directories: not
// authorized"). But drover's main turns any ErrNoAuth into refusedAccess,
// dropping that message: the viewer's drover status of a task running
// there says "ZooKeeper refused access to ROOT with the credentials of
// DROVER_ZK_AUTH: its znodes belong to another identity (check the user
// and password)". The credentials are right (the same status of a queued
// task works): the advice sends the operator after a password, where the
// cause is a worker started without the read-only identity.
func TestReview164ViewerStatusOnHiddenDirBlamesThePassword(t *testing.T) {
	root := newRoot()
	run := func(env []string, args ...string) result {
		t.Helper()
		return droverEnv(t, root, "", env, args...)
	}
	owner := []string{"DROVER_ZK_AUTH=owner:s3cret", "DROVER_ZK_AUTH_READONLY=viewer:v1ew"}
	viewer := []string{"DROVER_ZK_AUTH=viewer:v1ew", "DROVER_ZK_AUTH_READONLY="}

	// The tree made with the read-only identity; then a worker given
	// DROVER_ZK_AUTH alone makes its tasks/ directory before any leader.
	if r := run(owner, "submit", "--on", "pool=none", "--", "true"); r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	t.Setenv("DROVER_ZK_AUTH", "owner:s3cret")
	t.Setenv("DROVER_ZK_AUTH_READONLY", "")
	daemon(t, root, "worker", "--id", "w1")
	waitFor(t, 20*time.Second, "w1 registered", func() bool {
		r := run(owner, "workers")
		return r.code == 0 && strings.Contains(r.stdout, "w1")
	})
	t.Setenv("DROVER_ZK_AUTH_READONLY", "viewer:v1ew")
	daemon(t, root, "scheduler", "--id", "s1")

	r := run(owner, "submit", "--", "sleep", "60")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	waitFor(t, 30*time.Second, "task running on w1", func() bool {
		r := run(owner, "status", id)
		return r.code == 0 && strings.Contains(r.stdout, "running")
	})
	r = run(viewer, "status", id)
	if r.code == 0 {
		t.Skipf("viewer's status worked: %+v", r)
	}
	if strings.Contains(r.stderr, "check the user and password") || !strings.Contains(r.stderr, "worker") {
		t.Errorf("the viewer's drover status of task %s, running on a worker whose directory it may not list, blames its credentials and names no worker directory (exit %d):\n%s",
			id, r.code, strings.TrimSpace(r.stderr))
	}
}
