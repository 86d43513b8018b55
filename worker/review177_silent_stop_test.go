package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// review177: README says cancelling Run's context "stops it at once" (Drain
// is the graceful way). On a link to ZooKeeper gone silent (a partition
// without a reset, a frozen server) it does not: Run waits for the ZooKeeper
// client's notice of the dead link, two thirds of the session timeout (6 s
// at this 9 s session, 6.7 s at the default 10 s, 13 s at 20 s), before it
// returns. A program stopping its worker to shut down (a second signal, as
// examples/upper-worker does) is held that long. The registration it could
// not delete could be left to the session, or handed to the store to delete
// once connected, as the scheduler's resign does (store.Abandon).
func TestReview177RunOnASilentLinkStopsWithItsContext(t *testing.T) {
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreFor(t, px.Addr(), drovertest.NewRoot(), 9*time.Second)
	w, err := New(Config{ID: "w1", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("h", HandlerFunc(func(ctx context.Context, _ *Task) ([]byte, error) { return nil, nil })); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-w.Registered():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	px.Freeze()
	defer px.Cut(true)
	cancel()
	runErr, returned := drovertest.Received(done, 2*time.Second)
	if !returned {
		runErr = <-done
		t.Fatalf("Run on a silent link: still running 2s after its context ended (README: it stops at once); it returned %v", runErr)
	}
}
