package worker

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A worker with a prefetch takes assignments beyond its capacity, which
// wait there, assigned, not running, until a slot frees; no more than its
// capacity ever run at once. A task with a timeout is not prefetched: it
// stays queued until a slot is free.
func TestPrefetchWaitsForASlot(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	release := make(chan struct{})
	var mu sync.Mutex
	running, most := 0, 0
	block := HandlerFunc(func(ctx context.Context, _ *Task) ([]byte, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		defer func() {
			mu.Lock()
			running--
			mu.Unlock()
		}()
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})
	w := runPrefetching(t, root, 1, 2, "block", block)
	st := drovertest.OpenStore(t, root)
	ws, err := client.New(st).Workers(context.Background())
	if err != nil || len(ws) != 1 || ws[0].Prefetch != 2 {
		t.Fatalf("registrations %+v (%v): want one with prefetch 2", ws, err)
	}

	submit := func(mod func(*store.Task)) string {
		task := &store.Task{ID: ulid.Make().String(), Handler: "block", SubmittedAt: time.Now().UTC()}
		if mod != nil {
			mod(task)
		}
		if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
			t.Fatal(err)
		}
		return task.ID
	}
	// The first takes the slot.
	first := submit(nil)
	drovertest.WaitFor(t, 20*time.Second, "the first task to run", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return running == 1
	})
	// Two that can wait, prefetched, and a timed task, which is not.
	waiting := []string{submit(nil), submit(nil)}
	timed := submit(func(task *store.Task) { task.Timeout = store.Millis(time.Hour / time.Millisecond) })
	states := func() map[string]store.State {
		refs, err := st.Assignments()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]store.State{}
		for _, r := range refs {
			data, _, err := st.Get(r.Path)
			if err != nil {
				continue // gone meanwhile
			}
			task, err := store.DecodeTask(data)
			if err != nil {
				t.Fatalf("assignment %s: %v", r.Path, err)
			}
			out[r.Task] = task.State
		}
		return out
	}
	drovertest.WaitFor(t, 20*time.Second, "two assignments waiting for the slot", func() bool {
		return w.Stats().Waiting == 2
	})
	got := states()
	if got[first] != store.StateRunning || got[waiting[0]] != store.StateAssigned || got[waiting[1]] != store.StateAssigned {
		t.Fatalf("assignments %v: want %s running, %v assigned", got, first, waiting)
	}
	if _, placed := got[timed]; placed {
		t.Fatalf("the task with a timeout was placed past the worker's capacity: %v", got)
	}
	close(release)
	for _, id := range append([]string{first, timed}, waiting...) {
		if r := result(t, st, id); r.State != store.StateSucceeded {
			t.Fatalf("task %s: %s (%s)", id, r.State, r.Error)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if most != 1 {
		t.Fatalf("%d ran at once on a worker of capacity 1", most)
	}
	// Each started attempt's wait for its slot is recorded, the waiting
	// ones' behind the first.
	if sw := w.Stats().SlotWait; sw.Count != 4 || sw.Sum <= 0 {
		t.Fatalf("slot waits recorded: %d, %v s in all; want 4, some time", sw.Count, sw.Sum)
	}
}

// Assignments beyond the capacity wait for a slot even without a prefetch
// (placed by hand here): the worker never runs more than its capacity.
func TestCapacityHoldsWhateverIsAssigned(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Capacity = 1 })
	dir := t.TempDir()
	var ids []string
	for range 2 {
		task := &store.Task{Shell: true, Cmd: []string{`touch ` + dir + `/started.$DROVER_TASK_ID; ` +
			`while [ ! -e ` + dir + `/go ]; do sleep 0.01; done`}}
		assign(t, st, w, task)
		ids = append(ids, task.ID)
	}
	drovertest.WaitFor(t, 10*time.Second, "one attempt started, one waiting", func() bool {
		m, _ := filepath.Glob(dir + "/started.*")
		return len(m) == 1 && w.Stats().Waiting == 1
	})
	if err := os.WriteFile(dir+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if got := result(t, st, id); got.State != store.StateSucceeded {
			t.Fatalf("task %s: %s (%s)", id, got.State, got.Error)
		}
	}
}

// A task that cannot wait (it has a timeout) keeps its place in the queue's
// order: tasks that can wait, submitted after it, are not prefetched onto
// the busy workers it waits for, where they would take each slot as it
// frees, before it.
func TestPrefetchKeepsTheOrderOfTasksThatCannotWait(t *testing.T) {
	root := drovertest.NewRoot()
	s, _, _ := startScheduler(t, root, "s1")
	release := make(chan struct{})
	var mu sync.Mutex
	var started []string
	h := HandlerFunc(func(ctx context.Context, task *Task) ([]byte, error) {
		mu.Lock()
		started = append(started, task.ID)
		mu.Unlock()
		if string(task.Payload) == "block" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return nil, nil
	})
	w := runPrefetching(t, root, 1, 2, "h", h)
	st := drovertest.OpenStore(t, root)
	submit := func(task *store.Task) string {
		task.ID, task.Handler, task.SubmittedAt = ulid.Make().String(), "h", time.Now().UTC()
		if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
			t.Fatal(err)
		}
		return task.ID
	}
	blocker := submit(&store.Task{Payload: []byte("block")})
	drovertest.WaitFor(t, 20*time.Second, "the blocker to run", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(started) == 1
	})
	queued := func(n int64) func() bool {
		return func() bool { return s.Stats().Queued["normal"] == n }
	}
	timed := submit(&store.Task{Timeout: store.Millis(time.Hour / time.Millisecond)})
	drovertest.WaitFor(t, 20*time.Second, "the leader to hold the timed task", queued(1))
	later := []string{submit(&store.Task{}), submit(&store.Task{})}
	// The leader holds all three queued: the later ones were not placed.
	drovertest.WaitFor(t, 20*time.Second, "the leader to hold all three", queued(3))
	if n := w.Stats().Waiting; n != 0 {
		t.Fatalf("%d waiting on the worker ahead of the timed task", n)
	}
	close(release)
	for _, id := range append([]string{blocker, timed}, later...) {
		if r := result(t, st, id); r.State != store.StateSucceeded {
			t.Fatalf("task %s: %s (%s)", id, r.State, r.Error)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{blocker, timed, later[0], later[1]}
	for i := range want {
		if i >= len(started) || started[i] != want[i] {
			t.Fatalf("started in the order %v, want %v (blocker, timed, two later)", started, want)
		}
	}
}

// holder is a Go handler that notes the tasks it starts, in order, and
// holds each until a value comes on hold, or hold is closed, or its
// context ends.
type holder struct {
	hold  chan struct{}
	mu    sync.Mutex
	order []string
}

func newHolder() *holder { return &holder{hold: make(chan struct{})} }

func (h *holder) ProcessTask(ctx context.Context, task *Task) ([]byte, error) {
	h.mu.Lock()
	h.order = append(h.order, task.ID)
	h.mu.Unlock()
	select {
	case <-h.hold:
	case <-ctx.Done():
	}
	return nil, nil
}

// started is the ids of the tasks started so far, in order.
func (h *holder) started() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.order)
}
