package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// tally files a placement whose transaction failed with ErrConnection in
// l.unsure by its assignment name, to count it once a worker's listing shows
// it (applyTaskList). But a request lost with its connection may never have
// been applied: the rebuilt view finds the task still queued and places the
// same attempt again, under the same assignment name; placed() counts that
// placement, and the worker's next listing, finding the name in unsure,
// counts it a second time. placed() never clears the unsure entry.
// (Found by review126.)
func TestReview126PlacementRefusedThenPlacedAgainIsCountedOnce(t *testing.T) {
	c := newLostReplyClusterFor(t, 20*time.Second)
	st, px, lst, logs := c.st, c.px, c.lst, &c.logs
	s, w := c.runWithWorker(t)
	id := ulid.Make().String()
	placed := st.Layout().Assignment("w", id, 1)
	// The placement's request never reaches ZooKeeper: the proxy freezes
	// as the leader sends it; the leader learns only from the cut.
	px.FreezeAt([]byte(placed))
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the placement's request swallowed", px.Frozen)
	if ok, _, err := st.Exists(placed); err != nil || ok {
		t.Fatalf("assignment %s exists (%v, %v): want the frozen request never applied", placed, ok, err)
	}
	px.Cut(true)
	drovertest.WaitFor(t, 15*time.Second, "the leader's store to see the cut", func() bool { ok, _ := lst.Connected(); return !ok })
	px.Cut(false)
	drovertest.WaitFor(t, 20*time.Second, "the view rebuilt", func() bool { return logs.count("view rebuilt") >= 2 && s.Stats().ViewReady })
	// The rebuilt view places attempt 1 again; this time it commits.
	drovertest.WaitFor(t, 20*time.Second, "the attempt placed on w", func() bool { return len(w.assignments(t)) == 1 })
	w.finish(t, id+".1")
	drovertest.WaitFor(t, 20*time.Second, "the task done, the leader's view empty", func() bool {
		ok, _, err := st.Exists(placed)
		return err == nil && !ok && s.Stats().Placed >= 1
	})
	// Another task placed and finished: the leader has read w's listing
	// since the first one's placement.
	id2 := ulid.Make().String()
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id2, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "the second task placed on w", func() bool { return len(w.assignments(t)) == 1 })
	w.finish(t, id2+".1")
	// placed() counts a placement before it logs it.
	drovertest.WaitFor(t, 20*time.Second, "the second placement counted", func() bool { return logs.has(id2, `"message":"placed"`) })
	st2 := s.Stats()
	if st2.Placed != 2 || st2.PlaceLatency.Count != 2 {
		t.Fatalf("drover_placements_total = %d, drover_placement_latency_seconds_count = %d after two placements committed "+
			"(attempt 1 of %s, its first request lost unapplied, placed again; attempt 1 of %s): want 2 and 2",
			st2.Placed, st2.PlaceLatency.Count, id, id2)
	}
}
