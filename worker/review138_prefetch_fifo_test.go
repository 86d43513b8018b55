package worker

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review138: prefetched assignments of one priority are to wait "in the
// order placed" (README, slots.go: "then in the order it came"; DESIGN.md:
// FIFO within a priority). The leader places them oldest first, but the
// worker starts a goroutine per name in the order ZooKeeper lists the
// directory (no order) and each takes its place in the slot queue when its
// goroutine gets there: the waiting tasks run in an arbitrary order.
func TestReview138PrefetchedRunOutOfOrder(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	h := newHolder()
	step := h.hold
	const n = 10
	w := runPrefetching(t, root, 1, n, "step", h)
	st := drovertest.OpenStore(t, root)
	started := func() int { return len(h.started()) }
	newTask := func() *store.Task {
		return &store.Task{ID: ulid.Make().String(), Handler: "step", SubmittedAt: time.Now().UTC()}
	}
	if _, err := st.Submit(context.Background(), []*store.Task{newTask()}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "the first task to run", func() bool { return started() == 1 })

	// n tasks of one priority, in one submit: placed oldest first.
	var tasks []*store.Task
	var ids []string
	for range n {
		task := newTask()
		tasks = append(tasks, task)
		ids = append(ids, task.ID)
	}
	if _, err := st.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "all prefetched, waiting", func() bool { return w.Stats().Waiting == n })
	for i := 1; i <= n; i++ {
		step <- struct{}{}
		drovertest.WaitFor(t, 20*time.Second, "the next to start", func() bool { return started() == i+1 })
	}
	step <- struct{}{}
	got := h.started()[1:]
	if !slices.Equal(got, ids) {
		t.Fatalf("prefetched tasks of one priority ran in the order\n%v\nnot as submitted and placed\n%v", got, ids)
	}
}
