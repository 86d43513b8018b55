package worker

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A handler's error that wraps ErrSkipRetry fails its task at that attempt,
// retries left: the task ends failed after one attempt, with the error.
// Another error is retried as ever.
func TestHandlerSkipRetry(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	w, err := New(Config{ID: "w1", Store: openExtra(t, root), Capacity: 2, Log: drovertest.Logger(t),
		Backoff: Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	_ = w.Handle("strict", HandlerFunc(func(_ context.Context, tk *Task) ([]byte, error) {
		runs.Add(1)
		if string(tk.Payload) == "bad" {
			return nil, fmt.Errorf("payload %q: %w", tk.Payload, ErrSkipRetry)
		}
		return nil, fmt.Errorf("flaky")
	}))
	runWorker(t, w)
	st := drovertest.OpenStore(t, root)
	bad := &store.Task{ID: ulid.Make().String(), Handler: "strict", Payload: []byte("bad"), Retries: 3, SubmittedAt: time.Now().UTC()}
	flaky := &store.Task{ID: ulid.Make().String(), Handler: "strict", Payload: []byte("x"), Retries: 2, SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{bad, flaky}); err != nil {
		t.Fatal(err)
	}
	got := result(t, st, bad.ID)
	if got.State != store.StateFailed || len(got.History) != 1 || !strings.Contains(got.Error, "not to be retried") {
		t.Fatalf("task whose handler said not to retry: state %s, %d attempts, error %q; want failed after one", got.State, len(got.History), got.Error)
	}
	if got := result(t, st, flaky.ID); got.State != store.StateDead || len(got.History) != 3 {
		t.Fatalf("task with another error: state %s, %d attempts; want dead after 3", got.State, len(got.History))
	}
}
