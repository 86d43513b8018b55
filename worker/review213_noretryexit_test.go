package worker

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// README, submit --no-retry-exit: "only the program's own exit counts, not
// a start the worker refused". A task listing 127 and 126 whose program is
// not found (exit 127 the worker gives itself, with an error) is retried
// as any failure; a --shell command whose own `exit 126` is listed ends at
// once. (A program not allowed is not placed on the worker at all.)
func TestNoRetryExitIgnoresTheWorkersOwnCodes(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	w, err := New(Config{ID: "w1", Store: openExtra(t, root), Capacity: 3, Commands: true, Log: drovertest.Logger(t),
		Backoff: Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	st := drovertest.OpenStore(t, root)
	codes := []int{126, 127}
	notFound := &store.Task{ID: ulid.Make().String(), Cmd: []string{"/nonexistent/prog"}, Retries: 1, NoRetryExit: codes, SubmittedAt: time.Now().UTC()}
	own := &store.Task{ID: ulid.Make().String(), Shell: true, Cmd: []string{"exit 126"}, Retries: 1, NoRetryExit: codes, SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{notFound, own}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		task  *store.Task
		state store.State
		runs  int
	}{{notFound, store.StateDead, 2}, {own, store.StateFailed, 1}} {
		got := result(t, st, c.task.ID)
		if got.State != c.state || len(got.History) != c.runs {
			t.Errorf("%v: ended %s after %d attempts (exit %v, %q); want %s after %d", c.task.Cmd, got.State, len(got.History), got.ExitCode, got.Error, c.state, c.runs)
		}
	}
}
