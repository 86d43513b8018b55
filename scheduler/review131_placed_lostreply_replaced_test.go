package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// tallyPlaced counts a lost-reply placement that landed when a record of
// its attempt stamped with its term's epoch is found: the assignment, the
// result, or the queue item of the next attempt. When another leader, in
// between, withdrew the attempt (its worker lost) and placed the next one,
// none of those is left: the next attempt's assignment carries the other
// leader's epoch, and the landed attempt shows only in its History. a's
// placement went uncounted for good: drover_placements_total summed over
// the schedulers is 1 for the 2 attempts the record says were placed, the
// dashboard's placements falling behind at every failover that meets a
// worker loss. (Found by review131's chaos count: 15 placements short of
// 101.)
func TestReview131PlacementLostReplyThenReplacedByAnotherIsCounted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreFor(t, px.Addr(), root, 4*time.Second)
	registerWorker(t, root, "w2", 1, nil)
	logs := shownOnFailure(t)
	a, stopA := runScheduler(t, lst, "a", withLog(logs, "a"))
	drovertest.WaitFor(t, 20*time.Second, "a leading with w2 in view", func() bool {
		s := a.Stats()
		return s.Leader && s.ViewReady && s.Workers == 1
	})
	epoch := a.Epoch()
	id := ulid.Make().String()
	first := st.Layout().Assignment("w2", id, 1)
	px.DropRepliesAfter([]byte(first)) // a's placement lands, its reply lost
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "a's placement committed, its reply dropped", func() bool {
		ok, _, err := st.Exists(first)
		return err == nil && ok && px.Dropping()
	})
	px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "a's session expired (its election znode gone)", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})

	// b leads; w2 is lost: b withdraws attempt 1 and places attempt 2 on w1.
	w1 := registerWorker(t, root, "w1", 1, nil)
	b, stopB := runScheduler(t, st, "b")
	drovertest.WaitFor(t, 30*time.Second, "b leading with both workers", func() bool {
		s := b.Stats()
		return s.Leader && s.ViewReady && s.Workers == 2
	})
	if err := st.Delete(st.Layout().Worker("w2"), -1); err != nil {
		t.Fatal(err)
	}
	second := st.Layout().Assignment("w1", id, 2)
	drovertest.WaitFor(t, 30*time.Second, "b placed attempt 2 on w1", func() bool {
		ok, _, err := st.Exists(second)
		return err == nil && ok
	})
	stopB()

	px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "a leading again, its view rebuilt", func() bool {
		s := a.Stats()
		return a.Epoch() > b.Epoch() && s.Leader && s.ViewReady
	})
	stopA()
	_, rec, _ := w1.read(t, id+".2")
	placed := 1 + len(rec.History)
	if got := a.Stats().Placed + b.Stats().Placed; got != uint64(placed) {
		t.Fatalf("drover_placements_total: a %d + b %d = %d for the %d attempts placed (history %+v, attempt 2 on w1): "+
			"a's placement of attempt 1 on w2 in epoch %d landed with its reply lost; b withdrew it (w2 lost) and placed "+
			"attempt 2 (epoch %d); a, leading again at epoch %d, found no record of attempt 1 stamped %d and never counted it",
			a.Stats().Placed, b.Stats().Placed, got, placed, rec.History, epoch, b.Epoch(), a.Epoch(), epoch)
	}
}
