package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A submit of one task copies it into its queue bucket's data, and an idle
// leader takes the task from that copy, read with the listing, rather than
// read its item. Taken so, its placement latency counted from its
// submitted_at, the client's clock, not from its item's creation by
// ZooKeeper's: a client an hour behind made a task placed at once an
// observation of an hour (web's TestPlacementLatencyOfARetryCountsFromTheRetry
// failed so, when its leader was idle at the submit).
func TestPlacementLatencyOfALoneCopyIsNotTheClientsClock(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", func() bool { return s.IsLeader() && s.Stats().ViewReady })
	w := registerWorker(t, root, "w", 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "w in view", func() bool { return s.Stats().Workers == 1 })
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().Add(-time.Hour).UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 15*time.Second, "placed", func() bool { return len(w.assignments(t)) == 1 && s.Stats().Placed == 1 })
	if h := s.Stats().PlaceLatency; h.Count != 1 || h.Buckets[300] != 1 {
		t.Fatalf("placed at once, observed as %.0f s (count %d, %d within 300 s): the client's clock (an hour behind), not a wait",
			h.Sum, h.Count, h.Buckets[300])
	}
}
