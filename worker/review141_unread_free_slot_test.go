package worker

import (
	"context"
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review141: slots.reorder (47ec3dd) moves an assignment read without a
// copy in line once its record is read, but only while it still waits.
// The serve loop puts every new assignment of a listing in line before any
// goroutine reads its record, each without a copy taken as normal, and take
// hands a free slot at once to the first of them in that order: by task id
// alone when none has a copy. Two lone placements (no manifest; no
// directory copy, the worker being busy) that one listing shows, as a busy
// worker's listing lagging the leader's passes does, so get their slots by
// id, not by priority: here the leader places a high-priority task on the
// worker's free slot and then, in a later pass, a normal one with an older
// id (a retry, or any task queued before it and placed later) in its
// prefetch. The worker gives the free slot to the normal task, already
// granted when reorder comes, and the high-priority one waits behind the
// long attempt that runs, the inversion 47ec3dd meant to end (and one the
// leader's placement on a free slot did not make).
func TestReview141UnreadAssignmentsTakeFreeSlotByIDNotPriority(t *testing.T) {
	root := drovertest.NewRoot()
	_, st, _ := startScheduler(t, root, "s1")
	px := drovertest.StartProxy(t, drovertest.Addr())
	wst := drovertest.OpenStoreFor(t, px.Addr(), root, 20*time.Second)
	h := newHolder()
	t.Cleanup(func() { close(h.hold) })
	w, err := New(Config{ID: "go", Store: wst, Capacity: 2, Prefetch: 2, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("step", h); err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	started := func() []string {
		return h.started()
	}
	submit := func(id string, prio store.Priority) {
		task := &store.Task{ID: id, Handler: "step", Priority: prio, SubmittedAt: time.Now().UTC()}
		if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
			t.Fatal(err)
		}
	}
	placed := func(id string) func() bool {
		return func() bool { return !slices.Contains(drovertest.QueuedIDs(t, st), id) }
	}
	// A long attempt takes one of the two slots.
	long := ulid.Make().String()
	submit(long, store.PriorityNormal)
	drovertest.WaitFor(t, 20*time.Second, "the long task to run", func() bool { return len(started()) == 1 })
	// The worker's listing lags (here: its link down a moment, within its
	// session) while the leader places, one pass at a time.
	px.Cut(true)
	drovertest.WaitFor(t, 20*time.Second, "the worker's store disconnected", func() bool {
		ok, _ := wst.Connected()
		return !ok
	})
	high := ulid.Make().String()
	submit(high, store.PriorityHigh)
	drovertest.WaitFor(t, 20*time.Second, "the high-priority task placed on the free slot", placed(high))
	older := ulid.MustNew(ulid.Timestamp(time.Now().Add(-time.Hour)), rand.Reader).String()
	submit(older, store.PriorityNormal)
	drovertest.WaitFor(t, 20*time.Second, "the normal task placed in the prefetch", placed(older))
	px.Cut(false)
	// One of the two gets the free slot at once; the other waits for the
	// long attempt, which never ends in this test.
	drovertest.WaitFor(t, 20*time.Second, "a second attempt to start", func() bool { return len(started()) >= 2 })
	drovertest.WaitFor(t, 20*time.Second, "the other in line", func() bool { return w.Stats().Waiting == 1 })
	if got := started(); got[1] != high {
		t.Fatalf("the free slot went to the normal task %s (older id), the high-priority task %s placed on it waits behind the long attempt; started %v",
			older, high, got)
	}
}
