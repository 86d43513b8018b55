package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review138: a worker's prefetch lets lower-priority tasks that "can wait"
// take every slot that frees, for as long as such tasks are queued, while a
// higher-priority task that cannot wait (it has a timeout, or a starting
// deadline) is never placed: free() stays 0 because the prefetched tasks
// count as Used, and each pass fills the prefetch slot again with the next
// low-priority task. DESIGN.md: "priority high > normal > low".
func TestReview138PrefetchStarvesHigherPriorityTimedTask(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorkerInfo(t, root, &store.WorkerInfo{ID: "w", Host: "test", Capacity: 1, Prefetch: 1, StartedAt: time.Now()})
	s, _ := runScheduler(t, st, "s1")

	// The worker's one slot is busy.
	first := submit(t, st, 1, nil)[0]
	drovertest.WaitFor(t, 10*time.Second, "the first task placed", func() bool {
		got := w.assignments(t)
		return len(got) == 1 && strings.HasPrefix(got[0], first)
	})

	// A high-priority task with a timeout, and low-priority ones without.
	now := time.Now().UTC()
	high := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: now, Priority: store.PriorityHigh,
		Timeout: store.Millis(time.Hour / time.Millisecond)}
	tasks := []*store.Task{high}
	var low []string
	for range 6 {
		l := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: now, Priority: store.PriorityLow}
		tasks = append(tasks, l)
		low = append(low, l.ID)
	}
	if _, err := st.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	has := func(names []string, id string) bool {
		for _, n := range names {
			if strings.HasPrefix(n, id) {
				return true
			}
		}
		return false
	}
	// The leader holds the high-priority task queued (it cannot wait on
	// the busy worker). Before the fix the low ones took the prefetch
	// slot meanwhile; since, none does while the high one waits for the
	// worker.
	drovertest.WaitFor(t, 10*time.Second, "the leader to hold the high-priority task", func() bool {
		return s.Stats().Queued["high"] == 1
	})

	// The worker ends what it runs, oldest first, as a real one would;
	// after each end the leader places again. The high-priority task
	// should take one of the slots that free.
	var order []string
	for round := 0; round < 4; round++ {
		got := w.assignments(t)
		if has(got, high.ID) {
			return // placed: sound
		}
		// The oldest placed (the one running): the first task, then the
		// low ones in order.
		var oldest string
		for _, id := range append([]string{first}, low...) {
			for _, n := range got {
				if strings.HasPrefix(n, id) {
					oldest = n
					break
				}
			}
			if oldest != "" {
				break
			}
		}
		w.finish(t, oldest)
		order = append(order, oldest[:len(first)])
		drovertest.WaitFor(t, 10*time.Second, "the leader to fill the freed slot", func() bool {
			got := w.assignments(t)
			return len(got) == 2 || has(got, high.ID)
		})
		if round == 0 && !has(w.assignments(t), high.ID) {
			t.Fatalf("the slot %s freed went to %v, not to the high-priority task %s", oldest, w.assignments(t), high.ID)
		}
	}
	if got := w.assignments(t); !has(got, high.ID) {
		t.Fatalf("after %d slots freed on the worker (ended %v), the high-priority task %s is still queued and the worker holds %v: "+
			"every freed slot went to a low-priority prefetched task", len(order), order, high.ID, got)
	}
}
