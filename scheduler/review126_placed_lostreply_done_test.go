package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A placement committed with its reply lost is counted only once a
// worker's listing shows its assignment (applyTaskList finds it in
// l.unsure). A worker that runs the attempt and reports it while the
// leader is still cut off (the usual lot of a short task: the leader
// learns of the blip from its read deadline, seconds later) deletes the
// assignment before the rebuilt view lists it, so that placement is never
// counted: drover_placements_total still falls behind the attempts the
// workers started, the defect review123 found, for every task shorter than
// the blip. (Found by review126.)
func TestReview126PlacementLostReplyFinishedBeforeRelistIsCounted(t *testing.T) {
	c := newLostReplyClusterFor(t, 20*time.Second)
	st, px, lst, logs := c.st, c.px, c.lst, &c.logs
	s, w := c.runWithWorker(t)
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
	// The worker runs the attempt and reports it before the leader is back.
	w.finish(t, id+".1")
	px.Cut(true)
	drovertest.WaitFor(t, 15*time.Second, "the leader's store to see the cut", func() bool { ok, _ := lst.Connected(); return !ok })
	px.Cut(false)
	drovertest.WaitFor(t, 20*time.Second, "the view rebuilt", func() bool { return logs.count("view rebuilt") >= 2 && s.Stats().ViewReady })
	// A second task placed and finished: the rebuilt view has listed w.
	id2 := ulid.Make().String()
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id2, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "the second task placed on w", func() bool { return len(w.assignments(t)) == 1 })
	w.finish(t, id2+".1")
	// placed() counts a placement before it logs it.
	drovertest.WaitFor(t, 20*time.Second, "the second placement counted", func() bool { return logs.has(id2, `"message":"placed"`) })
	if got := s.Stats().Placed; got != 2 {
		t.Fatalf("drover_placements_total = %d after two attempts placed and run on w (attempt 1 of %s committed with its reply lost, "+
			"run and reported before the leader reconnected; attempt 1 of %s): want 2", got, id, id2)
	}
}
