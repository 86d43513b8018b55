package worker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

// Run's doc: it runs "until ctx ends, the worker is drained (it returns nil)
// or its store is closed (store.ErrClosed)", and the README: "Run returns
// store.ErrClosed once its store is closed". A program that drains its
// worker (SIGTERM) and whose store is then closed before the drain is done
// (its shutdown deadline, a second signal) gets nil, as from a drain that
// finished: the attempt still running was killed, never reported, and goes
// to another worker, but Run says the drain went well. Closed while not
// draining, the same Run returns store.ErrClosed. Serve ends with
// errSessionLost (the closed store ends the session), and Run, seeing the
// worker draining, takes it for a drain ended by a lost registration and
// returns nil. Which of the two the closed store's wake-up reaches first
// (its connection-state channel or its session's) is a select's choice:
// about one round in two returns nil, so the test runs ten.
func TestWorkerRunReturnsErrClosedWhenItsStoreClosesDuringADrain(t *testing.T) {
	const rounds = 10
	nils := 0
	for range rounds {
		if err := drainThenClose(t); err == nil {
			nils++
		} else if !errors.Is(err, store.ErrClosed) {
			t.Fatalf("Run, its store closed during a drain: %v, want store.ErrClosed", err)
		}
	}
	if nils > 0 {
		t.Fatalf("Run returned nil, not store.ErrClosed, in %d of %d rounds whose store was closed during a drain with an attempt running", nils, rounds)
	}
}

// drainThenClose runs a worker, starts an attempt on it, drains it, closes
// its store, and returns what Run returned.
func drainThenClose(t *testing.T) error {
	t.Helper()
	root := drovertest.NewRoot()
	sst := drovertest.OpenStore(t, root)
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: sst})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler", s.Run)

	wst := drovertest.OpenStore(t, root)
	started := make(chan struct{}, 1)
	w, err := worker.New(worker.Config{ID: "w1", Store: wst, DrainTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("long", worker.HandlerFunc(func(ctx context.Context, _ *worker.Task) ([]byte, error) {
		started <- struct{}{}
		<-ctx.Done() // long work, that stops when told
		return nil, ctx.Err()
	})); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- w.Run(ctx) }()
	<-w.Registered()
	if _, err := client.New(sst).Submit(context.Background(), []client.TaskSpec{{Handler: "long"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the handler did not start within 30 s")
	}
	w.Drain()
	drovertest.WaitFor(t, 10*time.Second, "the worker draining", func() bool { return w.Stats().Draining })

	wst.Close()
	select {
	case err := <-ran:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30 s of its store's Close")
		return nil
	}
}
