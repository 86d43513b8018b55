package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// 2671519's leader reads each cordon it first sees (store.CheckCordons) to
// move a malformed record aside, and ends its view on any read error other
// than "gone". A cordon made by hand with an ACL that lets the leader
// delete but not read it (zkCli create/setAcl, as an operator locking it
// down would) fails the read with ErrNoAuth: every takeover fails in
// syncCordons, before the workers are listed, and nothing is ever placed.
// README and ARCHITECTURE (Cordons) say the name is the cordon and readers
// take an unreadable record for a cordon with nothing said
// (store.Cordons does): the leader should too, and place work elsewhere.
func TestReview195UnreadableHandMadeCordonStopsEveryPlacement(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	if _, err := st.CordonWorker("x", store.Cordon{Note: "locked"}); err != nil {
		t.Fatal(err)
	}
	setACL(t, st.Layout().Cordon("x"), "world:anyone:cda")
	if _, _, err := st.Get(st.Layout().Cordon("x")); err == nil {
		t.Fatal("setup: the cordon's record still reads")
	}
	b := registerWorker(t, root, "b", 4, nil)
	submit(t, st, 1, nil)
	runScheduler(t, drovertest.OpenStore(t, root), "s1")
	drovertest.WaitFor(t, 15*time.Second, "the task placed on b (uncordoned) beside an unreadable cordon of x", func() bool {
		return len(b.assignments(t)) == 1
	})
}
