package client

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// finishAs moves task id's queue item to its result: attempt 1 ran on w0
// and failed with exit code 3, and the task ended in state.
func finishAs(t *testing.T, st *store.Store, id string, state store.State) {
	t.Helper()
	task, stat := queuedRecord(t, st, id)
	code := 3
	task.AddAttempt(store.Attempt{N: 1, Worker: "w0", ExitCode: code, StartedAt: time.Now().UTC(), FinishedAt: time.Now().UTC()})
	task.State, task.ExitCode, task.FinishedAt = state, &code, time.Now().UTC()
	txn := st.Txn().Delete(st.Layout().QueueItem(id), stat.Version)
	if err := txn.Finish(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
}

// registerFakeWorker registers worker id on a store (session) of its own,
// which the caller may close to lose the worker.
func registerFakeWorker(t *testing.T, root, id string) *store.Store {
	t.Helper()
	wst := drovertest.OpenStore(t, root)
	lay := wst.Layout()
	info, err := store.Encode(&store.WorkerInfo{ID: id, Host: "test", Capacity: 1, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := wst.EnsurePath(lay.WorkerTasks(id)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := wst.CreateEphemeral(context.Background(), lay.Worker(id), info); err != nil {
		t.Fatal(err)
	}
	return wst
}

// The attempt `drover retry` gives a failed task is lost with its worker
// (the worker dies): README says a lost attempt does not count against
// --retries and runs again (at-least-once). But Retry leaves the record's
// Retries below its failures (0 retries, 1 failure), so the leader's
// ShouldRetry after the lost attempt is false and the task ends dead,
// "worker lost too often", after one loss: the one more attempt asked for
// never ran to an end.
func TestRetriedAttemptLostWithItsWorkerRunsAgain(t *testing.T) {
	root := drovertest.NewRoot()
	c, st := New(drovertest.OpenStore(t, root)), drovertest.OpenStore(t, root)
	lay := st.Layout()
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	finishAs(t, st, id, store.StateFailed)
	if _, err := c.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	doomed := registerFakeWorker(t, root, "doomed")
	runLeader(t, root)
	drovertest.WaitFor(t, 15*time.Second, "the retry placed on doomed", func() bool {
		ok, _, err := st.Exists(lay.Assignment("doomed", id, 2))
		return err == nil && ok
	})
	doomed.Close() // the worker dies with attempt 2
	registerFakeWorker(t, root, "spare")
	var last *store.Task
	drovertest.WaitFor(t, 20*time.Second, "attempt 2 withdrawn", func() bool {
		task, err := c.Status(context.Background(), id)
		if err != nil {
			return false
		}
		last = task
		return task.Attempt > 2 || task.State.Terminal()
	})
	if last.State.Terminal() {
		t.Fatalf("after its retried attempt was lost with its worker, the task is %s (%q, history %+v): want it queued or placed again",
			last.State, last.Error, last.History)
	}
}

// finishAllFailed moves the queued tasks ids to failed results, 100 a
// transaction.
func finishAllFailed(t *testing.T, st *store.Store, ids []string) {
	t.Helper()
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 100)]
		ids = ids[len(chunk):]
		txn := st.Txn()
		for _, id := range chunk {
			task, stat := queuedRecord(t, st, id)
			code := 3
			task.AddAttempt(store.Attempt{N: task.Attempt, Worker: "w0", ExitCode: code})
			task.State, task.ExitCode, task.FinishedAt = store.StateFailed, &code, time.Now().UTC()
			txn.Delete(st.Layout().QueueItem(id), stat.Version)
			if err := txn.Finish(task); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// A wait for many tasks lists their result buckets, then reads the results
// listed, 1,024 at a time. A result that goes between its listing and its
// read (another client retries the task, retention prunes it) fails the
// whole wait with ZooKeeper's "node does not exist": collect returns any
// read error. The task retried is queued again, and the wait should wait
// for its next result.
func TestWaitAllOutlivesAResultRetriedBetweenItsListingAndItsRead(t *testing.T) {
	c, st := newClient(t)
	other := New(st)
	const n = 1100 // more than one batch of reads (store's waitReads, 1,024)
	res, err := c.Submit(context.Background(), slices.Repeat([]TaskSpec{{Cmd: []string{"false"}}}, n))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, r := range res {
		ids[i] = r.ID
	}
	finishAllFailed(t, st, ids)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := map[string]bool{}
	victim := ""
	err = c.WaitAll(ctx, ids, func(task *store.Task) {
		got[task.ID] = true
		switch {
		case len(got) == 1024:
			// The first batch is read and handed over; the rest are
			// listed, not read yet. Another client retries one of them.
			for _, id := range ids {
				if !got[id] {
					victim = id
					break
				}
			}
			if _, err := other.Retry(context.Background(), victim); err != nil {
				t.Errorf("retry %s: %v", victim, err)
			}
		case len(got) == 1025 && victim != "" && task.ID != victim:
			// The next batch was read: the retried task fails again.
			finishAllFailed(t, st, []string{victim})
		}
	})
	if err != nil {
		t.Fatalf("wait for %d tasks, one of them retried while the wait read their results: %v", n, err)
	}
	if len(got) != n {
		t.Fatalf("%d results, want %d", len(got), n)
	}
}

// The stable JSON form of a task (client.TaskJSON) says a
// finished task's exit_code is -1 "when it ended without a code of its
// own (timeout, cancelled, worker lost)". Cancel leaves it null: the
// cancelled result carries no exit code, and drover status shows "-".
func TestCancelledTaskHasExitCodeMinusOne(t *testing.T) {
	c, _ := newClient(t)
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cancel(context.Background(), res[0].ID); err != nil {
		t.Fatal(err)
	}
	task, err := c.Status(context.Background(), res[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if task.State != store.StateCancelled || task.ExitCode == nil || *task.ExitCode != -1 {
		t.Fatalf("cancelled task: state %s, exit code %v; want cancelled, -1", task.State, task.ExitCode)
	}
}
