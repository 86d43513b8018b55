package worker

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review147: a slot's task (a first attempt bound by start_by) placed in
// time on a worker whose draining mark the leader had not seen yet (its
// placement in flight: played by hand here) is handed back, at attempt 1,
// still bound. The leader placed it in time, the worker got it in time and
// had a free slot (README: "it places the first attempt no later than D after
// the slot, and the worker starts it as it gets it"); before hand-backs the
// draining worker ran it. Now, with no other worker free before its
// start_by (a lone worker restarted), the leader ends it as "not started by
// its starting deadline": the drain turns a run placed in time into a
// missed one.
func TestReview147HandedBackSlotTaskMissesItsStartingDeadline(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	h := newHolder()
	w, err := New(Config{ID: "go", Store: openExtra(t, root), Capacity: 2, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("hold", h); err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("noop", noop); err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	st := drovertest.OpenStore(t, root)
	// Something runs, so the drain lasts.
	long := &store.Task{ID: ulid.Make().String(), Handler: "hold", SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(t.Context(), []*store.Task{long}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "the long task running", func() bool { return len(h.started()) == 1 })
	w.Drain()
	c := client.New(st)
	drovertest.WaitFor(t, 20*time.Second, "the draining mark written", func() bool {
		ws, err := c.Workers(context.Background())
		return err == nil && len(ws) == 1 && ws[0].Draining
	})

	// The slot's task, placed (in time) by a placement that was in flight
	// as the mark landed: one slot is free on the worker.
	now := time.Now().UTC()
	slot := &store.Task{Handler: "noop", SubmittedAt: now, AssignedAt: now, StartBy: now.Add(3 * time.Second)}
	assign(t, st, w, slot)
	r := result(t, st, slot.ID)
	if r.State != store.StateSucceeded || r.Attempt != 1 {
		t.Fatalf("slot's task placed in time on a worker with a free slot: %s (%q) at attempt %d: want it run as attempt 1",
			r.State, r.Error, r.Attempt)
	}
	close(h.hold)
}
