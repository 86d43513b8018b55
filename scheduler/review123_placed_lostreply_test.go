package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// drover_placements_total (Stats().Placed) is "Attempts placed on
// workers", and drover_placement_latency_seconds observes each. A
// placement that commits while its connection is lost (its reply lost,
// the usual lot of a write in flight at a ZooKeeper server's restart or a
// network blip) is dropped with the view: settle turns its ErrConnection
// into a rebuild, and awaitPlacements drops the outcomes of placements in
// flight, committed ones included. The rebuilt view finds the attempt on
// its worker, where it runs and reports, but it is counted nowhere:
// placements fall behind the attempts the workers start
// (drover_worker_attempts_started_total), for good. (Found by review123.)
func TestPlacementCommittedWithItsReplyLostIsCounted(t *testing.T) {
	c := newLostReplyCluster(t)
	st := c.st
	s, w := c.runWithWorker(t)
	id := ulid.Make().String()
	placed := st.Layout().Assignment("w", id, 1)
	// The placement's request reaches ZooKeeper and commits; its reply,
	// and every reply after it, is lost until the connection is cut.
	c.px.DropRepliesAfter([]byte(placed))
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the placement committed, its reply dropped", func() bool {
		ok, _, err := st.Exists(placed)
		return err == nil && ok && c.px.Dropping()
	})
	c.blip(t, s)
	// The attempt is on the worker, placed once; it runs and reports.
	if got := w.assignments(t); len(got) != 1 {
		t.Fatalf("assignments of w: %v, want the one attempt placed", got)
	}
	w.finish(t, id+".1")
	st2 := s.Stats()
	if st2.Placed != 1 || st2.PlaceLatency.Count != 1 {
		t.Fatalf("drover_placements_total = %d and drover_placement_latency_seconds_count = %d after the one placement (attempt 1 of %s, "+
			"which ran on w): want 1 and 1, its commit counted though its reply was lost", st2.Placed, st2.PlaceLatency.Count, id)
	}
}
