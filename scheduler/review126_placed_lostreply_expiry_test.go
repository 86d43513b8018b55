package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The lost-reply tally (l.unsure, 4d44701) lives in the leader of one term.
// A placement that commits with its reply lost, whose connection stays
// down past the session timeout (a partition longer than a blip: the usual
// way a reply is lost and a session expires together), is dropped with the
// term: the same scheduler, elected again on a new session, finds the
// attempt on its worker (placed once, run once) and counts it nowhere.
// drover_placements_total, a counter of this process, falls behind the
// attempts its workers started, the defect review123 found, at every such
// outage. (Found by review126.)
func TestReview126PlacementLostReplyAcrossSessionExpiryIsCounted(t *testing.T) {
	c := newLostReplyClusterFor(t, 4*time.Second)
	st, px, logs := c.st, c.px, &c.logs
	s, w := c.runWithWorker(t)
	epoch := s.Epoch()
	id := ulid.Make().String()
	placed := st.Layout().Assignment("w", id, 1)
	px.DropRepliesAfter([]byte(placed))
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the placement committed, its reply dropped", func() bool {
		ok, _, err := st.Exists(placed)
		return err == nil && ok && px.Dropping()
	})
	// Cut off until ZooKeeper expires the leader's session.
	px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "s1's session expired (its election znode gone)", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})
	px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "s1 leading again, its view rebuilt", func() bool {
		st := s.Stats()
		return s.Epoch() > epoch && st.Leader && st.ViewReady && st.Workers == 1
	})
	if got := w.assignments(t); len(got) != 1 {
		t.Fatalf("assignments of w: %v, want the one attempt placed", got)
	}
	// Another task placed and finished: the new term has listed w.
	w.finish(t, id+".1")
	id2 := ulid.Make().String()
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id2, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "the second task placed on w", func() bool { return len(w.assignments(t)) == 1 })
	drovertest.WaitFor(t, 20*time.Second, "the second placement counted", func() bool { return logs.has(id2, `"message":"placed"`) })
	if got := s.Stats().Placed; got != 2 {
		t.Fatalf("drover_placements_total = %d after two attempts placed on w by s1 (attempt 1 of %s committed with its reply lost, "+
			"the session expiring before s1 reconnected; attempt 1 of %s): want 2", got, id, id2)
	}
}
