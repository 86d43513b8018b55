package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

// runCommandWorker runs a real worker taking commands, id, under root.
func runCommandWorker(t *testing.T, root, id string) *worker.Worker {
	t.Helper()
	w, err := worker.New(worker.Config{ID: id, Commands: true, Store: drovertest.OpenStore(t, root), Log: drovertest.Logger(t),
		Backoff: worker.Backoff{Base: 50 * time.Millisecond, Max: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "worker "+id, w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	return w
}

// README, Task semantics: "`failed` means the command failed and the task
// had no retries (or, retried by `drover retry`, did not use up the ones it
// was submitted with: a cancel cut them short); `dead` means its retries
// were used up". And `drover retry`: "should the attempt fail the task ends
// `dead` if those retries are used up, `failed` if not".
//
// A task submitted with --retries 1 is cancelled while its first attempt
// runs: its one retry is unused, the cancel cut it short. `drover retry`
// gives it one more attempt, which fails (exit 3): the command failed once,
// its retry was never used, so the task should end `failed`. But Cancel
// files the killed attempt in the history as a plain (not lost) attempt,
// Failures() counts it as a failure, and FailedState (Failures 2 > Retries
// 1) ends the task `dead`, as if its retries had been spent.
func TestCancelledWhileRunningThenRetriedFailureEndsFailed(t *testing.T) {
	root := drovertest.NewRoot()
	runLeader(t, root)
	w := runCommandWorker(t, root, "w1")
	c := New(drovertest.OpenStore(t, root))
	res, err := c.Submit(context.Background(), []TaskSpec{{Shell: true, Retries: 1,
		Cmd: []string{`[ "$DROVER_ATTEMPT" = 1 ] && exec sleep 60; exit 3`}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	drovertest.WaitFor(t, 15*time.Second, "attempt 1 running", func() bool { return w.Running() == 1 })
	if got, err := c.Cancel(context.Background(), id); err != nil || got.State != store.StateCancelled {
		t.Fatalf("cancel: %v %v", got, err)
	}
	if _, err := c.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := c.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attempt != 2 || got.ExitCode == nil || *got.ExitCode != 3 {
		t.Fatalf("retried attempt: attempt %d, exit %v, want attempt 2 exit 3", got.Attempt, got.ExitCode)
	}
	if got.State != store.StateFailed {
		t.Fatalf("submitted with --retries 1, cancelled in its first run (history: %q), retried, failed once (exit 3): ended %s, want failed (its one retry was never used: the cancel cut it short)",
			got.History[0].Error, got.State)
	}
}
