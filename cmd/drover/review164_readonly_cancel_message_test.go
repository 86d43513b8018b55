package main

import (
	"strings"
	"testing"
)

// 748c377 tells a writer given the cluster's read-only identity as
// DROVER_ZK_AUTH that its credentials may only read (store.checkNotReadOnly,
// ErrReadOnlyIdentity): drover submit says so. But Open checks it only
// when it may create the tree (not MustExist), and cancel, retry and
// schedule pause/resume/rm/trigger open the store with MustExist
// (withReader): given the read-only identity, their write is refused
// (ErrNoAuth) and drover cancel says only "cancel ID: txn of 2 ops: op 0
// on .../queue/...: not authorized by ZooKeeper ACLs", where submit with the
// same credentials says they may only read and which variable takes them.
func TestReview164CancelWithReadOnlyIdentityIsNotTold(t *testing.T) {
	root := newRoot()
	run := func(env []string, args ...string) result {
		t.Helper()
		return droverEnv(t, root, "", env, args...)
	}
	owner := []string{"DROVER_ZK_AUTH=owner:s3cret", "DROVER_ZK_AUTH_READONLY=viewer:v1ew"}
	viewer := []string{"DROVER_ZK_AUTH=viewer:v1ew", "DROVER_ZK_AUTH_READONLY="}

	r := run(owner, "submit", "--on", "pool=none", "--", "true") // no scheduler: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	// Control: submit with the read-only identity is told.
	if r := run(viewer, "submit", "--", "true"); r.code == 0 || !strings.Contains(r.stderr, "may only read") {
		t.Fatalf("control: submit with the read-only identity: %+v", r)
	}
	var bad []string
	for _, args := range [][]string{{"cancel", id}} {
		r := run(viewer, args...)
		if r.code == 0 {
			t.Fatalf("%s with the read-only identity succeeded: %+v", args[0], r)
		}
		if !strings.Contains(r.stderr, "may only read") {
			bad = append(bad, args[0]+": "+strings.TrimSpace(r.stderr))
		}
	}
	if len(bad) > 0 {
		t.Errorf("given the read-only identity as DROVER_ZK_AUTH, these writers are not told their credentials may only read (submit is):\n%s", strings.Join(bad, "\n"))
	}
}
