package store_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// docs/ARCHITECTURE.md, on submit --after: a task waited for that the view
// does not hold queued is looked up, "LookupTaskIn, one listing of the
// assignments shared by the lookups of a pass". A takeover's first pass
// over 8 held tasks, each after a different running task, lists them once;
// lookups run side by side each listed them (every worker's directory).
func TestReview216AfterLookupsShareOneListing(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	for _, id := range []string{"w1", "w2", "w3", "w4"} {
		data, err := store.Encode(&store.WorkerInfo{ID: id, Host: "test", Capacity: 8, StartedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.CreateEphemeral(context.Background(), lay.Worker(id), data); err != nil {
			t.Fatal(err)
		}
		if err := st.EnsurePath(lay.WorkerTasks(id)); err != nil {
			t.Fatal(err)
		}
	}
	submit := func(after func(i int) []string, n int) []string {
		t.Helper()
		tasks := make([]*store.Task, n)
		ids := make([]string, n)
		for i := range tasks {
			tasks[i] = &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
			if after != nil {
				tasks[i].After = after(i)
			}
			ids[i] = tasks[i].ID
		}
		if _, err := st.Submit(context.Background(), tasks); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	placed := func(ids ...string) bool {
		refs, _, err := st.ListAssignments()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range refs {
			if slices.Contains(ids, r.Task) {
				n++
			}
		}
		return n == len(ids)
	}
	run := func(id string) func() {
		s, err := scheduler.New(scheduler.Config{ID: id, Store: drovertest.OpenStore(t, root), Log: drovertest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		return drovertest.Run(t, "scheduler "+id, s.Run)
	}
	stop := run("s1")
	deps := submit(nil, 8)
	drovertest.WaitFor(t, 20*time.Second, "the 8 dependencies placed", func() bool { return placed(deps...) })
	stop()
	waiters := submit(func(i int) []string { return []string{deps[i]} }, 8)
	var listings atomic.Int64
	defer store.SetLookupHook(func(stage string) {
		if stage == "listing" {
			listings.Add(1)
		}
	})()
	run("s2")
	marker := submit(nil, 1)
	drovertest.WaitFor(t, 20*time.Second, "a task submitted after them placed", func() bool { return placed(marker...) })
	if placed(waiters[0]) {
		t.Fatalf("a waiter placed before its dependency ended")
	}
	if n := listings.Load(); n != 1 {
		t.Fatalf("the takeover's look at 8 running tasks waited for listed the assignments %d times, want 1", n)
	}
}
