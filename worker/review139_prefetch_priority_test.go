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

// review139: prefetched assignments are to wait "high priority first"
// (README, slots.go, DESIGN.md: priority high > normal > low), the serve
// loop taking each one's priority from its manifest's copy, "normal for one
// read later". But the leader writes a manifest only for two or more
// assignments of one worker in a transaction (store.manifests.create), and
// a directory copy only for an idle worker: a task placed alone on a busy
// worker, which is how a prefetch slot is filled again whenever one
// assignment ends, has no copy, and is put in line as normal whatever its
// priority. A high-priority task prefetched there waits behind every
// normal one placed before it.
func TestReview139PrefetchedHighPriorityWaitsBehindNormal(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	h := newHolder()
	step := h.hold
	w, err := New(Config{ID: "go", Store: openExtra(t, root), Capacity: 1, Prefetch: 3, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("step", h); err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	st := drovertest.OpenStore(t, root)
	started := func() int {
		return len(h.started())
	}
	submit := func(prio store.Priority, n int) []string {
		var tasks []*store.Task
		var ids []string
		for range n {
			task := &store.Task{ID: ulid.Make().String(), Handler: "step", Priority: prio, SubmittedAt: time.Now().UTC()}
			tasks = append(tasks, task)
			ids = append(ids, task.ID)
		}
		if _, err := st.Submit(context.Background(), tasks); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	first := submit(store.PriorityNormal, 1)
	drovertest.WaitFor(t, 20*time.Second, "the first task to run", func() bool { return started() == 1 })
	normal := submit(store.PriorityNormal, 2)
	drovertest.WaitFor(t, 20*time.Second, "two normal tasks prefetched", func() bool { return w.Stats().Waiting == 2 })
	// A high-priority task, placed alone in the last prefetch slot.
	high := submit(store.PriorityHigh, 1)
	drovertest.WaitFor(t, 20*time.Second, "the high-priority task prefetched", func() bool { return w.Stats().Waiting == 3 })
	for i := 1; i <= 3; i++ {
		step <- struct{}{}
		drovertest.WaitFor(t, 20*time.Second, "the next to start", func() bool { return started() == i+1 })
	}
	step <- struct{}{}
	got := h.started()
	want := append(append(append([]string{}, first...), high...), normal...)
	if !slices.Equal(got, want) {
		t.Fatalf("ran in the order\n%v\nwant the high-priority task %s first of those waiting\n%v", got, high[0], want)
	}
}
