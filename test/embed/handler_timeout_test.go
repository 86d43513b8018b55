package embed

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

// openStoreAt opens another store (a session of its own) on root, closed at
// the test's end.
func openStoreAt(t *testing.T, root string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: root,
		SessionTimeout: drovertest.SessionTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// README: "a handler still running at the task's timeout fails it,
// whatever it returns after". A handler that stops when its context ends,
// as the Handler doc asks, and returns what it has with a nil error (a
// common shape: a loop that hands back its partial results on ctx.Done())
// was running at the timeout: its attempt must fail, "timeout after". It
// fails or succeeds by the scheduling of two goroutines: woken by the same
// timer, the handler's return races runHandler's select on hctx.Done(),
// and a return that lands first is taken as in time (the select's inner
// "it had returned too" case), so the task succeeds with the partial
// output. Here 3 of 40 such tasks succeeded without the race detector,
// 22 of 40 with it.
func TestHandlerReturningOnItsTimeoutAlwaysFails(t *testing.T) {
	st := openStore(t)
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler", s.Run)
	w, err := worker.New(worker.Config{ID: "w1", Store: openStoreAt(t, st.Layout().Root), Capacity: 16})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("partial", worker.HandlerFunc(func(ctx context.Context, _ *worker.Task) ([]byte, error) {
		<-ctx.Done() // the work, cut short by the timeout
		return []byte("partial result"), nil
	})); err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "worker", w.Run)
	c := client.New(st)
	const n = 100
	specs := make([]client.TaskSpec, n)
	for i := range specs {
		specs[i] = client.TaskSpec{Handler: "partial", Timeout: 50 * time.Millisecond}
	}
	res, err := c.Submit(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wrong []string
	if err := c.WaitAll(ctx, ids, func(task *store.Task) {
		if task.State != store.StateFailed || !strings.HasPrefix(task.Error, "timeout after") {
			wrong = append(wrong, fmt.Sprintf("%s %s %q", task.ID, task.State, task.Error))
		}
	}); err != nil {
		t.Fatal(err)
	}
	if len(wrong) > 0 {
		t.Fatalf("%d of %d tasks whose handler ran until its %v timeout did not fail with a timeout; first: %s",
			len(wrong), n, specs[0].Timeout, wrong[0])
	}
}
