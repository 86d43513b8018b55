package client

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Two clients retry the same cancelled task at once. One retry wins and
// queues the task; the other has read the result the winner removed. The
// loser must fail (one new attempt only), and, as Cancel does when it
// loses such a race ("task already finished: X is cancelled"), say what it
// found: the task is queued now, ErrNotFinished ("task cannot be retried:
// X is queued"). It fails instead with ZooKeeper's internals, "retry X:
// txn of 6 ops: op 0 on /…/results/…: znode does not exist", which
// drover retry prints as is (exit 1): the user learns nothing of the
// other client's retry, nor the task's state. Retry does not look again
// after a version or node check fails, as Cancel does.
func TestRetryLosingARaceToAnotherClientSaysWhatItFound(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := New(st)
	other := New(drovertest.OpenStore(t, root))
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	if _, err := c.Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	testHookRetryCommit = func() {
		testHookRetryCommit = nil // the other client's retry goes straight through
		// This retry has read the cancelled result; the other client
		// retries the task first.
		if _, err := other.Retry(context.Background(), id); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookRetryCommit = nil })
	got, rerr := c.Retry(context.Background(), id)
	if rerr == nil {
		t.Fatalf("both retries succeeded: %+v", got)
	}
	// One new attempt only: the task is queued once, retried once.
	now, err := c.Status(context.Background(), id)
	if err != nil || now.State != store.StateQueued || now.Gen != 1 {
		t.Fatalf("after the two retries: %+v, %v; want it queued, retried once", now, err)
	}
	if !errors.Is(rerr, ErrNotFinished) || !strings.Contains(rerr.Error(), "queued") || strings.Contains(rerr.Error(), "znode") {
		t.Fatalf("the retry that lost the race failed with %q; want it to say what it found, as a cancel that loses does "+
			"(ErrNotFinished: %s is queued), not ZooKeeper's internals", rerr, id)
	}
}
