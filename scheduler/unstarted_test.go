package scheduler

import (
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// assignByHand writes task's assignment on w, as a placement would.
func assignByHand(t *testing.T, w *fakeWorker, task *store.Task) {
	t.Helper()
	task.Worker, task.Reg, task.State, task.AssignedAt = w.id, w.reg, store.StateAssigned, time.Now().UTC()
	if err := w.st.EnsureBuckets(task.ID); err != nil {
		t.Fatal(err)
	}
	txn := w.st.Txn()
	if err := txn.Assign(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
}

// A lost worker's unstarted retry goes on at once: its backoff was over
// when it was placed, and is not served again from its new queue item.
func TestLostWorkersUnstartedRetryIsNotDelayed(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	doomed := registerWorker(t, root, "doomed", 4, nil)
	now := time.Now().UTC()
	retry := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: now.Add(-3 * time.Hour), Retries: 3, Attempt: 2,
		History:   []store.Attempt{{N: 1, Worker: "doomed", StartedAt: now.Add(-2 * time.Hour), FinishedAt: now.Add(-2 * time.Hour), ExitCode: 1}},
		NotBefore: now.Add(-time.Hour)}
	assignByHand(t, doomed, retry)
	runScheduler(t, st, "s1", func(c *Config) { c.Backoff = store.Backoff{Base: time.Hour, Max: 2 * time.Hour} })
	doomed.st.Close()
	spare := registerWorker(t, root, "spare", 4, nil)
	drovertest.WaitFor(t, 15*time.Second, "attempt 3 on spare", func() bool { return len(spare.assignments(t)) == 1 })
	_, r, _ := spare.read(t, store.AssignmentName(retry.ID, 3))
	if len(r.History) != 2 || !r.History[1].Unstarted || r.Failures() != 1 || !r.NotBefore.IsZero() {
		t.Fatalf("history %+v, not before %v: want its one failure, then attempt 2 unstarted, no backoff", r.History, r.NotBefore)
	}
}

// After MaxUnstarted unstarted attempts a lost worker's attempt counts as
// lost again, so a task's history stays bounded.
func TestUnstartedAttemptsAreBounded(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	doomed := registerWorker(t, root, "doomed", 4, nil)
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC(), Attempt: store.MaxUnstarted + 1}
	for n := range store.MaxUnstarted {
		task.History = append(task.History, store.Attempt{N: n + 1, Worker: "doomed", ExitCode: -1, Unstarted: true})
	}
	assignByHand(t, doomed, task)
	runScheduler(t, st, "s1")
	doomed.st.Close()
	spare := registerWorker(t, root, "spare", 4, nil)
	drovertest.WaitFor(t, 15*time.Second, "the next attempt on spare", func() bool { return len(spare.assignments(t)) == 1 })
	_, r, _ := spare.read(t, store.AssignmentName(task.ID, store.MaxUnstarted+2))
	if last := r.History[len(r.History)-1]; !last.Lost || last.Unstarted {
		t.Fatalf("last attempt %+v: want lost, past %d unstarted", last, store.MaxUnstarted)
	}
}
