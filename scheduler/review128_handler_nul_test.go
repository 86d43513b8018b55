package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Placement reads a task's labels from its shape's key (60efdb5, shape.fits),
// "h" + handler, then NUL and the length-prefixed labels; it cuts the key at
// its first NUL. A handler name holding a NUL (a record written past the
// client's checks: DecodeTask checks env names, not the handler's) makes
// the rest of the name read as labels, and a length in it past the key's
// end panics cutLabel's slice: the leader dies at its first placement pass
// with a worker free, and so does every scheduler elected after it, the
// record still queued. Before 60efdb5 such a task merely waited (the labels
// were a map). (Found by review128.)
func TestReview128HandlerNameWithNULDoesNotCrashPlacement(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	bad := &store.Task{ID: store.NewTaskID(time.Now()), Handler: "resize\x0099:", Retries: 1, SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{bad}); err != nil {
		t.Fatal(err)
	}
	s, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 15*time.Second, "s1 leading", s.IsLeader)
	w := registerWorker(t, root, "w1", 2, nil)
	good := &store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"true"}, Retries: 1, SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{good}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 15*time.Second, "the good task placed on w1 beside the bad one", func() bool {
		for _, name := range w.assignments(t) {
			if id, _, err := store.ParseAssignmentName(name); err == nil && id == good.ID {
				return true
			}
		}
		return false
	})
}
