package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// tallyPlaced counts a lost-reply placement when a record of its attempt
// carries the epoch of the term that placed it (t.Epoch == u.epoch), taking
// an epoch to name one term for good. It does not: BumpEpoch makes a deleted
// <root>/epoch again, "the count starting over as a new cluster's (nothing
// relies on its order)". Here a's placement of a task is sent and never
// applied (epoch 1), a's session expires, the epoch record is deleted, b
// leads at epoch 1 of the new count and places the same attempt on the same
// worker; a, leading again, reads b's assignment stamped epoch 1 and counts
// it as its own: drover_placements_total summed over a and b is 2 for the
// one assignment ever made. (Found by review131.)
func TestReview131PlacementLostUnappliedCountedAfterEpochRecordDeleted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreFor(t, px.Addr(), root, 4*time.Second)
	w := registerWorker(t, root, "w", 1, nil)
	logs := shownOnFailure(t)
	a, stopA := runScheduler(t, lst, "a", withLog(logs, "a"))
	drovertest.WaitFor(t, 20*time.Second, "a leading with w in view", func() bool {
		s := a.Stats()
		return s.Leader && s.ViewReady && s.Workers == 1
	})
	epoch := a.Epoch()
	id := ulid.Make().String()
	placed := st.Layout().Assignment("w", id, 1)
	px.FreezeAt([]byte(placed)) // a's placement is sent and never applied
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "a's placement sent into the freeze", px.Frozen)
	px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "a's session expired (its election znode gone)", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})
	if ok, _, err := st.Exists(placed); err != nil || ok {
		t.Fatalf("the frozen placement landed (%v, %v): the test needs it lost unapplied", ok, err)
	}
	// The operator deletes the epoch record (BumpEpoch makes it again).
	if err := st.Delete(st.Layout().Epoch(), -1); err != nil {
		t.Fatal(err)
	}

	b, stopB := runScheduler(t, st, "b")
	drovertest.WaitFor(t, 30*time.Second, "b placed the attempt a lost", func() bool {
		ok, _, err := st.Exists(placed)
		return err == nil && ok
	})
	bEpoch := b.Epoch()
	stopB()

	px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "a leading again, its view rebuilt", func() bool {
		s := a.Stats()
		return a.Epoch() > bEpoch && s.Leader && s.ViewReady
	})
	aEpoch := a.Epoch()
	stopA()
	if got := w.assignments(t); len(got) != 1 {
		t.Fatalf("assignments of w: %v, want the one attempt b placed", got)
	}
	if got := a.Stats().Placed + b.Stats().Placed; got != 1 {
		t.Fatalf("drover_placements_total: a %d + b %d = %d for the 1 assignment ever made (%s): a's placement in epoch %d was "+
			"never applied; b placed the attempt in epoch %d of the count restarted after the epoch record was deleted; "+
			"a, at epoch %d, took b's assignment for its own", a.Stats().Placed, b.Stats().Placed, got, placed, epoch, bEpoch, aEpoch)
	}
}
