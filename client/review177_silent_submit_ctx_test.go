package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review177: Submit takes a context, and a cancelled one refuses it at
// once, but once its transaction is sent a context that ends does not end
// it: on a link gone silent it waits for the ZooKeeper client's notice of
// the dead link (6 s at this 9 s session, 6.7 s at the default 10 s), and
// fails then. A program that bounds its submit by a request's deadline is
// held past it. What was sent may have landed, so such a return must say so
// (store.InFlightError, which Submit already returns for a lost reply), but
// it should come when the context ends.
func TestReview177SubmitOnASilentLinkEndsWithItsContext(t *testing.T) {
	px := drovertest.StartProxy(t, drovertest.Addr())
	cl := client.New(drovertest.OpenStoreFor(t, px.Addr(), drovertest.NewRoot(), 9*time.Second))
	if _, err := cl.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	const key = "review177-submit-marker"
	px.FreezeAt([]byte(key)) // silent from the submit's transaction on
	defer px.Cut(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cl.Submit(ctx, []client.TaskSpec{{Cmd: []string{"true"}, Key: key}})
		done <- err
	}()
	// Cancel once the transaction is on the wire (the proxy drops it).
	drovertest.WaitFor(t, 5*time.Second, "the submit's transaction", px.Frozen)
	cancel()
	err, returned := drovertest.Received(done, 2*time.Second)
	if !returned {
		err = <-done
		t.Errorf("Submit on a silent link: still running 2s after its context ended; it returned %v", err)
	}
	var ife *store.InFlightError
	if !errors.As(err, &ife) {
		t.Errorf("Submit cut off by its context: %v, want a store.InFlightError (its outcome is unknown)", err)
	}
}
