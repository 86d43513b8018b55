package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A submit whose transaction ZooKeeper applied, and whose reply the store's
// Close cut off (a program shutting down while a submit is under way), has
// an unknown outcome to its caller just as one whose connection dropped:
// Submit says the task may have been written (store.InFlightError, N=1),
// which cmd/drover prints as "may have been: look for them before you
// submit them again". Once mapErr gave ErrClosed there, store.Submit did
// not wrap it in InFlightError (it did for ErrConnection alone), and the
// caller was told nothing was in flight, though the task was queued and
// would run: sent again, it ran twice. (Found by review.)
func TestSubmitCutOffByCloseSaysItMayHaveLanded(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	cst := drovertest.OpenStoreAt(t, px.Addr(), root)
	c := New(cst)
	st := drovertest.OpenStore(t, root)
	ensureNextBuckets(t, st)
	done := submitWithReplyLost(context.Background(), c, px, root)
	drovertest.WaitFor(t, 10*time.Second, "the submit applied", func() bool { return len(drovertest.QueuedIDs(t, st)) == 1 })
	cst.Close()
	var got submitOutcome
	select {
	case got = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the submit did not return after its store was closed")
	}
	var ife *store.InFlightError
	queued := drovertest.QueuedIDs(t, st)
	if !errors.As(got.err, &ife) || ife.N != 1 {
		t.Fatalf("submit cut off by Close after ZooKeeper applied it: %+v, %v (in flight: %v); want store.InFlightError of 1 task: the task is queued (%v)",
			got.res, got.err, ife, queued)
	}
	// And names it, for the user to look for (drover status ID).
	if len(ife.IDs) != 1 || len(queued) != 1 || ife.IDs[0] != queued[0] {
		t.Fatalf("the submit in doubt names ids %q; the task queued is %q", ife.IDs, queued)
	}
}
