package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A task that ended dead after store.MaxLostAttempts lost attempts (since
// an attempt a worker cannot start for want of its own open files,
// processes or memory counts as lost, one starved worker burns them in
// minutes) is retried once the worker is fixed. README: the retry gives it
// one more attempt, and a lost attempt runs again (at-least-once, not
// counted against --retries). But the losses before the retry still count
// toward MaxLostAttempts (ShouldRetry), so the first loss of the retried
// attempt (its worker restarted) ends the task dead again, "worker lost
// too often", the attempt asked for never having run to an end.
func TestRetryOfATaskDeadOfLossesSurvivesALoss(t *testing.T) {
	root := drovertest.NewRoot()
	c, st := New(drovertest.OpenStore(t, root)), drovertest.OpenStore(t, root)
	lay := st.Layout()
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}, Retries: 2}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	// Dead as a worker out of file descriptors leaves it: 20 lost attempts.
	task, stat := queuedRecord(t, st, id)
	now := time.Now().UTC()
	for n := 1; n <= store.MaxLostAttempts; n++ {
		task.AddAttempt(store.Attempt{N: n, Worker: "starved", StartedAt: now, FinishedAt: now, ExitCode: 127,
			Error: "start: pipe2: too many open files", Lost: true})
	}
	code := 127
	task.Attempt, task.State, task.ExitCode, task.FinishedAt = store.MaxLostAttempts, store.StateDead, &code, now
	task.Error = "start: pipe2: too many open files"
	txn := st.Txn().Delete(lay.QueueItem(id), stat.Version)
	if err := txn.Finish(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}

	if _, err := c.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	doomed := registerFakeWorker(t, root, "doomed")
	runLeader(t, root)
	next := store.MaxLostAttempts + 1
	drovertest.WaitFor(t, 15*time.Second, "the retry placed on doomed", func() bool {
		ok, _, err := st.Exists(lay.Assignment("doomed", id, next))
		return err == nil && ok
	})
	doomed.Close() // the worker dies (is restarted) with the retried attempt
	registerFakeWorker(t, root, "spare")
	var last *store.Task
	drovertest.WaitFor(t, 20*time.Second, fmt.Sprintf("attempt %d withdrawn", next), func() bool {
		task, err := c.Status(context.Background(), id)
		if err != nil {
			return false
		}
		last = task
		return task.Attempt > next || task.State.Terminal()
	})
	if last.State.Terminal() {
		t.Fatalf("the retried attempt %d was lost with its worker and the task is %s again (%q): want it queued or placed again",
			next, last.State, last.Error)
	}
}
