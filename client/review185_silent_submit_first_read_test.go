package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
)

// review185: review177 made Submit end with its context on a silent link,
// but only for its transaction (store.submitBatchCtx). The reads Submit
// makes before it (store.checkBuckets' Exists of the bucket directories,
// its first requests; and, after a lost reply, landed's Sync and reads)
// take no context: on a link already silent when Submit is called, the
// commonest case, Submit waits for the ZooKeeper client's notice of the
// dead link (6 s at this 9 s session) whatever its context says, and a
// program that bounds its submit by a request's deadline is held past it.
func TestReview185SubmitOnALinkSilentBeforeItsTransactionEndsWithItsContext(t *testing.T) {
	px := drovertest.StartProxy(t, drovertest.Addr())
	root := drovertest.NewRoot()
	cl := client.New(drovertest.OpenStoreFor(t, px.Addr(), root, 9*time.Second))
	// Silent from the submit's first request on (it names the root): the
	// look at the task's bucket directories.
	px.FreezeAt([]byte(root))
	defer px.Cut(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cl.Submit(ctx, []client.TaskSpec{{Cmd: []string{"true"}}})
		done <- err
	}()
	drovertest.WaitFor(t, 5*time.Second, "the submit's first request", px.Frozen)
	cancel()
	err := <-done
	// Ended by its context, it says so (nothing was sent: no InFlightError);
	// here it returned only once the ZooKeeper client gave the link up,
	// with that error.
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Submit on a link gone silent before its transaction, its context cancelled: returned %v; want the context's error, at once (it waited for the client's notice of the dead link, two thirds of the session timeout)", err)
	}
}
