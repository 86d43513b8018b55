package client

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

// failingCluster runs a leader and a worker on root whose one handler,
// "fail", fails every attempt; runs counts the attempts it ran. Failed
// attempts are retried after backoff (no jitter).
func failingCluster(t *testing.T, root string, backoff time.Duration) (runs *atomic.Int64) {
	t.Helper()
	runLeader(t, root)
	runs = new(atomic.Int64)
	w, err := worker.New(worker.Config{ID: "w1", Store: drovertest.OpenStore(t, root), Log: drovertest.Logger(t),
		Backoff: worker.Backoff{Base: backoff, Max: backoff, Rand: func() float64 { return 0.5 }}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("fail", worker.HandlerFunc(func(context.Context, *worker.Task) ([]byte, error) {
		runs.Add(1)
		return nil, errors.New("boom")
	})); err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "worker w1", w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	return runs
}

// record reads the task's record at path (nil when there is none).
func record(t *testing.T, st *store.Store, path string) *store.Task {
	t.Helper()
	data, _, err := st.Get(path)
	if errors.Is(err, store.ErrNoNode) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// ranAttempts are the attempt numbers of task's history, in order.
func ranAttempts(task *store.Task) []int {
	var ns []int
	for _, h := range task.History {
		ns = append(ns, h.N)
	}
	return ns
}

// A cancel reads a task queued for its attempt n (a retry after a
// failure: its item at version 1); before the cancel's write goes, the
// leader places attempt n, it runs, fails, and the worker queues attempt
// n+1, again at version 1 (every re-queue from a placement is generation
// 0). The cancel deletes the queue item at the version it read, 1, which
// the new item has too: it succeeds, and writes the result from the record
// it read, of attempt n queued. Attempt n ran and failed, but the task's
// one result has no trace of it: its history stops at n-1, its attempt is
// n, so `drover logs --attempt n` says it never ran and a `drover retry`
// runs a second attempt n. The cancel should have failed its version check
// (and looked again, then cancelled attempt n+1 with n in its history).
func TestCancelOfARequeuedTaskKeepsTheAttemptThatRanMeanwhile(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runs := failingCluster(t, root, time.Second)
	c := New(st)
	res, err := c.Submit(context.Background(), []TaskSpec{{Handler: "fail", Retries: 5}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	item := st.Layout().QueueItem(id)
	queuedAt := func(attempt int) func() bool {
		return func() bool {
			q := record(t, st, item)
			return q != nil && q.Attempt == attempt
		}
	}
	// Attempt 1 failed; attempt 2 waits out its backoff (1 s).
	drovertest.WaitFor(t, 20*time.Second, "attempt 2 queued", queuedAt(2))
	testHookCancelCommit = func() {
		testHookCancelCommit = nil
		// The cancel has read attempt 2 queued. Meanwhile it runs, fails
		// and attempt 3 is queued.
		drovertest.WaitFor(t, 20*time.Second, "attempt 3 queued", queuedAt(3))
	}
	t.Cleanup(func() { testHookCancelCommit = nil })
	got, err := c.Cancel(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	result := record(t, st, st.Layout().Result(id))
	if result == nil || result.State != store.StateCancelled {
		t.Fatalf("after the cancel (it returned %+v): result %+v", got, result)
	}
	if n := int(runs.Load()); len(result.History) != n || result.Attempt != n+1 {
		t.Fatalf("the worker ran %d attempts, but the cancelled task's result has attempt %d and history of attempts %v: "+
			"the cancel deleted attempt %d's queue item at the version it read attempt %d's", n, result.Attempt, ranAttempts(result), n+1, n)
	}
}

// Two clients retry the same failed task. The first retry queues attempt
// 2, which runs and fails at once (its one more attempt): its result is
// made anew, at version 0, as every result is. The second retry read the
// first result, at version 0, before the first retry; its write deletes
// the result at that version, which the new result has too: it succeeds,
// deleting the result of the attempt the first retry ran, and queues the
// task from the record it read, where that attempt never happened. Attempt
// 2 runs a second time, and the task's history keeps only one of the two:
// an attempt ran and left no trace. The second retry should have failed
// its check (the result it read is gone), as it does when its write comes
// before the first retry's attempt ends.
func TestRetryRacingARetryKeepsEveryAttemptThatRan(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runs := failingCluster(t, root, 50*time.Millisecond)
	c := New(st)
	res, err := c.Submit(context.Background(), []TaskSpec{{Handler: "fail"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if first, err := c.Wait(ctx, id); err != nil || first.State != store.StateFailed {
		t.Fatalf("first run: %+v, %v", first, err)
	}
	other := New(drovertest.OpenStore(t, root))
	testHookRetryCommit = func() {
		testHookRetryCommit = nil // the other client's retry goes straight through
		// This retry has read the failed result. Another client retries
		// the task, and its attempt 2 fails.
		if _, err := other.Retry(context.Background(), id); err != nil {
			t.Error(err)
			return
		}
		drovertest.WaitFor(t, 20*time.Second, "the other retry's attempt ended", func() bool {
			r := record(t, st, st.Layout().Result(id))
			return r != nil && r.Attempt == 2
		})
	}
	t.Cleanup(func() { testHookRetryCommit = nil })
	retried, rerr := c.Retry(context.Background(), id)
	// Whatever this retry returned, every attempt that ran must be in
	// the task's history, each under its own number.
	final, err := c.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n := int(runs.Load())
	ns := ranAttempts(final)
	seen := map[int]bool{}
	for _, a := range ns {
		if seen[a] {
			t.Fatalf("attempt %d is twice in the history %v", a, ns)
		}
		seen[a] = true
	}
	if len(ns) != n {
		t.Fatalf("the worker ran %d attempts; the task's final result (%s, attempt %d) has history of attempts %v. "+
			"The second retry returned %+v, %v: it deleted the result of the first retry's attempt at the version it read the first result's",
			n, final.State, final.Attempt, ns, retried, rerr)
	}
}

// `drover retry` returns (and prints, with -o json) the task as it queued
// it; `drover status` then shows the queue item. The record returned is
// the one built from the result before the queue item was written, and
// keeps what the last attempt's placement put there (its worker,
// registration, epoch, assigned and started times), which the queue item
// itself drops (store.Txn.Enqueue clears them on the copy it writes):
// retry -o json says "state": "queued" with "worker": "w1", where status
// says no worker.
func TestRetryReturnsTheTaskAsQueued(t *testing.T) {
	c, st := newClient(t)
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"false"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	task, stat := queuedRecord(t, st, id)
	now := time.Now().UTC()
	code := 1
	task.Worker, task.Reg, task.Epoch, task.AssignedAt, task.StartedAt = "w1", 7, 3, now, now
	task.AddAttempt(store.Attempt{N: 1, Worker: "w1", StartedAt: now, FinishedAt: now, ExitCode: 1})
	task.State, task.ExitCode, task.FinishedAt = store.StateFailed, &code, now
	txn := st.Txn().Delete(st.Layout().QueueItem(id), stat.Version)
	if err := txn.Finish(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := c.Retry(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	status, err := c.Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.StateQueued || got.Worker != status.Worker || got.Reg != status.Reg || got.Epoch != status.Epoch ||
		!got.AssignedAt.Equal(status.AssignedAt) || !got.StartedAt.Equal(status.StartedAt) {
		t.Fatalf("retry returned state %s, worker %q (reg %d, epoch %d, assigned %v, started %v); status of the task it queued: "+
			"state %s, worker %q (reg %d, epoch %d, assigned %v, started %v)",
			got.State, got.Worker, got.Reg, got.Epoch, got.AssignedAt, got.StartedAt,
			status.State, status.Worker, status.Reg, status.Epoch, status.AssignedAt, status.StartedAt)
	}
}
