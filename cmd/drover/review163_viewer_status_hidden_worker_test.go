package main

import (
	"strings"
	"testing"
	"time"
)

// f6f17f9 made store.ListWorkers skip a registration the read-only identity
// may not read (a worker started without DROVER_ZK_AUTH_READONLY), counting
// it as skipped; but client.Registrations drops that count, and drover
// status's hint for a queued task (waitsForWorker) reads it: the viewer's
// drover status of a queued task, with a worker registered that runs it,
// now says "for a worker: none is registered", a false statement where it
// said nothing before (the listing failed, and the hint is left out when
// the workers cannot be read). Expected: no claim that no worker is
// registered (or that none fits) when registrations were skipped.
func TestReview163ViewerStatusSaysNoWorkerOverHiddenRegistration(t *testing.T) {
	root := newRoot()
	run := func(env []string, args ...string) result {
		t.Helper()
		return droverEnv(t, root, "", env, args...)
	}
	owner := []string{"DROVER_ZK_AUTH=owner:s3cret", "DROVER_ZK_AUTH_READONLY=viewer:v1ew"}
	viewer := []string{"DROVER_ZK_AUTH=viewer:v1ew", "DROVER_ZK_AUTH_READONLY="}

	r := run(owner, "submit", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)

	// A worker given DROVER_ZK_AUTH alone (no scheduler runs: the task
	// stays queued, and the worker stays registered).
	t.Setenv("DROVER_ZK_AUTH", "owner:s3cret")
	t.Setenv("DROVER_ZK_AUTH_READONLY", "")
	daemon(t, root, "worker", "--id", "w1")
	waitFor(t, 20*time.Second, "w1 registered", func() bool {
		r := run(owner, "workers")
		return r.code == 0 && strings.Contains(r.stdout, "w1")
	})
	if r := run(owner, "status", id); r.code != 0 || strings.Contains(r.stdout, "none is registered") {
		t.Fatalf("owner's status: %+v", r)
	}
	r = run(viewer, "status", id)
	if r.code != 0 {
		t.Fatalf("viewer's status: %+v", r)
	}
	if strings.Contains(r.stdout, "none is registered") || strings.Contains(r.stdout, "no registered worker") {
		t.Errorf("the viewer's drover status says no worker is registered (or fits) while w1, registered without the read-only identity, runs the task:\n%s", r.stdout)
	}
}
