package worker

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestAssignmentWrittenOverWithJunkWhileRunningIsMovedAside: an
// assignment that becomes malformed while its attempt runs (written over
// by hand or by another program after the worker's running mark) must be
// moved to deadletter, and must not keep the worker's slot: the worker's
// other work goes on. The worker's report, a delete at the version of its
// mark, fails on the changed version; the worker takes that for a
// withdrawal ("report rejected: assignment withdrawn") and neither reads
// nor quarantines what stands there. The leader, which keeps a listed
// name counted without reading it again and looks at it again only at the
// task's deadline, never does for a task without a timeout. So the junk
// stays under tasks/<worker>/ for the rest of the term, counted against
// the worker's capacity: a worker of capacity 1 gets nothing more.
func TestAssignmentWrittenOverWithJunkWhileRunningIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	release := make(chan struct{})
	started := make(chan string, 1)
	w, err := New(Config{ID: "w1", Store: openExtra(t, root), Capacity: 1, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("block", HandlerFunc(func(ctx context.Context, task *Task) ([]byte, error) {
		started <- task.ID
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("noop", noop); err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()

	first := &store.Task{ID: ulid.Make().String(), Handler: "block", SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{first}); err != nil {
		t.Fatal(err)
	}
	var id string
	select {
	case id = <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the first task did not start")
	}
	p := lay.Assignment("w1", id, 1)
	// The attempt runs (marked running): its assignment is written over.
	if _, err := st.Set(p, []byte("junk"), -1); err != nil {
		t.Fatal(err)
	}
	close(release)

	second := &store.Task{ID: ulid.Make().String(), Handler: "noop", SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{second}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, werr := st.WaitResult(ctx, second.ID)
	junkLeft := exists(t, st, p)
	if werr != nil || junkLeft {
		t.Fatalf("the junk assignment %s still under tasks/w1: %v; the worker's next task: %v (the junk holds the worker's only slot, and nothing moves it to deadletter)",
			p, junkLeft, werr)
	}
}
