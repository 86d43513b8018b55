package main

import (
	"strings"
	"testing"
	"time"
)

// A --root inside another cluster's own directories (/drover/tasks,
// /drover/workers, /drover/queue: names a team might well pick for a
// cluster of its own beside the default one) is taken: submit makes a
// cluster there and exits 0 with the task's id. That cluster's znodes are
// the outer cluster's data to the outer leader, which, as it builds its
// view, finds them malformed and moves them to its deadletter: the nested
// cluster's queued task (its queue item, its key) is gone, `status` of it
// fails, and a submit again with the same --key makes a second task.
// Such a root should be refused (exit 2) as any other bad --root is.
func TestReview133RootInsideAnotherClusterLosesTasks(t *testing.T) {
	outer := newRoot()
	if r := drover(t, outer, "submit", "--", "true"); r.code != 0 { // the outer cluster
		t.Fatalf("outer submit: %+v", r)
	}
	nested := outer + "/tasks"
	r := drover(t, nested, "submit", "--key", "nightly-2026-12-05", "--", "echo", "nested")
	if r.code != 0 {
		// Refused: what it should be.
		t.Logf("nested root refused: %+v", r)
		return
	}
	id := strings.TrimSpace(r.stdout)
	if r := drover(t, nested, "status", id); r.code != 0 || !strings.Contains(r.stdout, "queued") {
		t.Fatalf("nested task before the outer leader: %+v", r)
	}
	// The outer cluster's leader and a worker; a task of its own run to its
	// end shows its view was built (where it reads its directories).
	daemon(t, outer, "scheduler", "--id", "s1")
	daemon(t, outer, "worker", "--id", "w1")
	if r := drover(t, outer, "submit", "--wait", "--wait-timeout", "30s", "--", "true"); r.code != 0 {
		t.Fatalf("outer submit --wait: %+v", r)
	}
	waitFor(t, 10*time.Second, "the outer leader's view", func() bool {
		return strings.Contains(drover(t, outer, "leader").stdout, "s1")
	})
	r = drover(t, nested, "status", id)
	again := drover(t, nested, "submit", "--key", "nightly-2026-12-05", "--", "echo", "nested")
	dl := drover(t, outer, "deadletter", "ls")
	if r.code != 0 || strings.TrimSpace(again.stdout) != id {
		t.Fatalf("task %s, accepted (exit 0) at --root %s, is lost once the leader at %s runs: status exit %d %q; "+
			"the same --key now makes task %q; the outer deadletter holds %d records of the nested cluster",
			id, nested, outer, r.code, strings.TrimSpace(r.stderr), strings.TrimSpace(again.stdout), strings.Count(dl.stdout, nested+"/"))
	}
}
