package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview157CancelOfAPrefetchedRetryKeepsTheOutputOfTheAttemptThatRan:
// a task whose attempt 1 ran and failed (its output in the history) is
// placed as attempt 2 on a prefetching worker whose one slot is busy: it
// waits there, assigned, never started. `drover cancel` of it records
// attempt 2 as a cancelled run (exit -1, no start time) rather than one
// that never started, so `drover logs ID` prints attempt 2's output (none,
// exit 0, no note) instead of attempt 1's, and `drover status` shows
// "attempt 2  worker w1, exit -1, cancelled" as if it had run and been
// killed. A drain's hand-back of the same attempt is marked unstarted, and
// both commands then say so (review149).
func TestReview157CancelOfAPrefetchedRetryKeepsTheOutputOfTheAttemptThatRan(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "1", "--prefetch", "1")
	st := openStore(t, root)

	// The worker's one slot: busy until the test ends.
	release := filepath.Join(t.TempDir(), "release")
	t.Cleanup(func() { _ = os.WriteFile(release, nil, 0o644) })
	r := drover(t, root, "submit", "--", "sh", "-c", "while [ ! -e "+release+" ]; do sleep 0.05; done")
	if r.code != 0 {
		t.Fatalf("submit blocker: %+v", r)
	}
	blocker := strings.TrimSpace(r.stdout)
	state := func(id string) (store.Task, bool) {
		var task store.Task
		r := drover(t, root, "status", "-o", "json", id)
		return task, r.code == 0 && json.Unmarshal([]byte(r.stdout), &task) == nil
	}
	drovertest.WaitFor(t, 30*time.Second, "the blocker to run", func() bool {
		task, ok := state(blocker)
		return ok && task.State == store.StateRunning
	})

	// A task whose attempt 1 ran and failed, queued again for attempt 2.
	now := time.Now().UTC()
	id := ulid.Make().String()
	task := &store.Task{ID: id, Cmd: []string{"sh", "-c", "echo first; echo oops >&2; exit 1"}, SubmittedAt: now.Add(-time.Minute),
		Retries: 3, Attempt: 2, State: store.StateQueued,
		History: []store.Attempt{
			{N: 1, Worker: "w1", StartedAt: now.Add(-50 * time.Second), FinishedAt: now.Add(-49 * time.Second), ExitCode: 1, Stdout: "first\n", Stderr: "oops\n"},
		}}
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Enqueue(task) }); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 30*time.Second, "attempt 2 prefetched onto w1", func() bool {
		task, ok := state(id)
		return ok && task.State == store.StateAssigned && task.Attempt == 2
	})
	if r := drover(t, root, "cancel", id); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	done, ok := state(id)
	if !ok || done.State != store.StateCancelled || len(done.History) != 2 {
		t.Fatalf("after cancel: %+v", done)
	}
	if a := done.History[1]; a.StartedAt.IsZero() && !a.Unstarted {
		t.Errorf("attempt 2 never started (no started_at) but is not marked unstarted: %+v", a)
	}
	if r := drover(t, root, "status", id); !strings.Contains(r.stdout, "never started") {
		t.Errorf("status shows attempt 2 as a run that was cut short:\n%s", r.stdout)
	}
	if r := drover(t, root, "logs", id); r.code != 0 || r.stdout != "first\n" {
		t.Errorf("logs of a task cancelled while its attempt 2 waited on a worker: %+v; want attempt 1's output (first/oops), the last attempt that ran", r)
	}
}
