package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// review177: Run's doc says that on return it has resigned, its election
// znode deleted or, "ZooKeeper being out of reach, handed to the store,
// which deletes it once connected (store.Abandon)". On a link gone silent
// (a partition without a reset, a frozen server) a leader whose context
// ends does not hand it over: Run waits for the ZooKeeper client's notice
// of the dead link, two thirds of the session timeout (6 s at this 9 s
// session, 6.7 s at the default 10 s), before it returns. A program that
// embeds a scheduler and shuts it down by its context is held that long.
func TestReview177RunOnASilentLinkEndsWithItsContext(t *testing.T) {
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreFor(t, px.Addr(), drovertest.NewRoot(), 9*time.Second)
	s, err := New(Config{ID: "s1", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	drovertest.WaitFor(t, 10*time.Second, "s1 leading with its view ready", func() bool { return s.Stats().ViewReady })
	px.Freeze()
	defer px.Cut(true)
	cancel()
	runErr, returned := drovertest.Received(done, 2*time.Second)
	if !returned {
		runErr = <-done
		t.Fatalf("Run on a silent link: still running 2s after its context ended; it returned %v", runErr)
	}
}
