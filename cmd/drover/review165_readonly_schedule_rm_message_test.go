package main

import (
	"strings"
	"testing"
)

// ebdfef2 tells a write refused to the cluster's read-only identity that
// its credentials may only read, from store.Txn.Commit alone: a write made
// otherwise (store.RemoveSchedule writes its tombstone with Store.Set) is
// still refused with a bare ErrNoAuth, which main maps to "ZooKeeper
// refused access ... (check the user and password)": drover schedule rm,
// given the read-only identity as DROVER_ZK_AUTH, blames the password where
// schedule pause (a Txn) and submit say the credentials may only read.
func TestReview165ScheduleRmWithReadOnlyIdentityIsNotTold(t *testing.T) {
	root := newRoot()
	run := func(env []string, args ...string) result {
		t.Helper()
		return droverEnv(t, root, "", env, args...)
	}
	owner := []string{"DROVER_ZK_AUTH=owner:s3cret", "DROVER_ZK_AUTH_READONLY=viewer:v1ew"}
	viewer := []string{"DROVER_ZK_AUTH=viewer:v1ew", "DROVER_ZK_AUTH_READONLY="}

	if r := run(owner, "schedule", "add", "s", "--cron", "@hourly", "--suspend", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	// Control: a schedule change made in a Txn is told.
	if r := run(viewer, "schedule", "resume", "s"); r.code == 0 || !strings.Contains(r.stderr, "may only read") {
		t.Fatalf("control: schedule resume with the read-only identity: %+v", r)
	}
	var bad []string
	for _, args := range [][]string{{"schedule", "rm", "s"}} {
		r := run(viewer, args...)
		if r.code == 0 {
			t.Fatalf("%s with the read-only identity succeeded: %+v", strings.Join(args, " "), r)
		}
		if !strings.Contains(r.stderr, "may only read") {
			bad = append(bad, strings.Join(args, " ")+": "+strings.TrimSpace(r.stderr))
		}
	}
	if len(bad) > 0 {
		t.Errorf("given the read-only identity as DROVER_ZK_AUTH, these writers are not told their credentials may only read (schedule resume is):\n%s", strings.Join(bad, "\n"))
	}
}
