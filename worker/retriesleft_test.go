package worker

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Each attempt learns how many more the task gets if it fails: a handler
// from Task.RetriesLeft, a command from DROVER_RETRIES_LEFT; 0 on the last
// try.
func TestRetriesLeftCountsDown(t *testing.T) {
	root, w := quickRetries(t)
	var (
		mu   sync.Mutex
		seen []string
	)
	_ = w.Handle("flaky", HandlerFunc(func(_ context.Context, tk *Task) ([]byte, error) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%d:%d", tk.Attempt, tk.RetriesLeft))
		mu.Unlock()
		return nil, fmt.Errorf("flaky")
	}))
	runWorker(t, w)
	st := drovertest.OpenStore(t, root)
	runs := t.TempDir() + "/runs"
	handler := &store.Task{ID: ulid.Make().String(), Handler: "flaky", Retries: 2, SubmittedAt: time.Now().UTC()}
	command := &store.Task{ID: ulid.Make().String(), Shell: true, Retries: 1, SubmittedAt: time.Now().UTC(),
		Cmd: []string{`echo "$DROVER_ATTEMPT:$DROVER_RETRIES_LEFT" >> ` + runs + `; exit 3`}}
	if _, err := st.Submit(context.Background(), []*store.Task{handler, command}); err != nil {
		t.Fatal(err)
	}
	if got := result(t, st, handler.ID); got.State != store.StateDead {
		t.Fatalf("handler task ended %s", got.State)
	}
	mu.Lock()
	got := slices.Clone(seen)
	mu.Unlock()
	if want := []string{"1:2", "2:1", "3:0"}; !slices.Equal(got, want) {
		t.Fatalf("handler saw attempt:retries-left %v, want %v", got, want)
	}
	if got := result(t, st, command.ID); got.State != store.StateDead {
		t.Fatalf("command task ended %s", got.State)
	}
	b, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(string(b)), []string{"1:1", "2:0"}; !slices.Equal(got, want) {
		t.Fatalf("command saw attempt:retries-left %v, want %v", got, want)
	}
}

// A command that exits with a code its task lists in NoRetryExit ends the
// task at that attempt, retries left or not; another code is retried as
// ever.
func TestNoRetryExitEndsTheTask(t *testing.T) {
	root, w := quickRetries(t)
	runWorker(t, w)
	st := drovertest.OpenStore(t, root)
	usage := &store.Task{ID: ulid.Make().String(), Shell: true, Cmd: []string{"exit 2"}, Retries: 3, NoRetryExit: []int{2, 64},
		SubmittedAt: time.Now().UTC()}
	other := &store.Task{ID: ulid.Make().String(), Shell: true, Cmd: []string{"exit 3"}, Retries: 1, NoRetryExit: []int{2},
		SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{usage, other}); err != nil {
		t.Fatal(err)
	}
	got := result(t, st, usage.ID)
	if got.State != store.StateFailed || len(got.History) != 1 || got.ExitCode == nil || *got.ExitCode != 2 || !strings.Contains(got.Error, "not retried") {
		t.Fatalf("exit 2 listed in no_retry_exit: state %s, %d attempts, exit %v, error %q; want failed after one, exit 2", got.State, len(got.History), got.ExitCode, got.Error)
	}
	if got := result(t, st, other.ID); got.State != store.StateDead || len(got.History) != 2 {
		t.Fatalf("exit 3, not listed: state %s, %d attempts; want dead after 2", got.State, len(got.History))
	}
}

// quickRetries starts a scheduler and a worker w1 that runs commands, with
// retries 10 – 50 ms apart, under a root of their own; w is not run yet.
func quickRetries(t *testing.T) (string, *Worker) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	w, err := New(Config{ID: "w1", Store: openExtra(t, root), Capacity: 2, Commands: true, Log: drovertest.Logger(t),
		Backoff: Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return root, w
}

// A task's own backoff spaces its retries, not the worker's (10 ms here).
func TestTaskBackoffSpacesRetries(t *testing.T) {
	root, w := quickRetries(t)
	runWorker(t, w)
	st := drovertest.OpenStore(t, root)
	const backoff = 700 * time.Millisecond
	task := &store.Task{ID: ulid.Make().String(), Shell: true, Cmd: []string{"exit 1"}, Retries: 1, Backoff: store.MillisOf(backoff),
		SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	got := result(t, st, task.ID)
	if len(got.History) != 2 {
		t.Fatalf("state %s, %d attempts; want 2", got.State, len(got.History))
	}
	if gap := got.History[1].StartedAt.Sub(got.History[0].FinishedAt); gap < backoff {
		t.Fatalf("the retry started %v after the failure, before the task's backoff of %v", gap, backoff)
	}
}
