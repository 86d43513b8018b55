package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// a5cf585 made store.Assignments fail (ErrNoAuth) as soon as one worker's
// tasks/ directory is hidden from the reader, and LookupTaskIn uses it for
// every placed task. One worker started without DROVER_ZK_AUTH_READONLY
// then keeps the read-only identity from looking at any running task at
// all: its drover status of a task running on another worker, whose
// directory it may list and where the task's assignment is, fails 'not
// authorized' (before a5cf585 it was found). Only a task found in none of
// the listed directories may be unknown for the hidden one.
func TestReview164ViewerStatusOfTaskOnVisibleWorker(t *testing.T) {
	v := newViewerCluster(t)
	owner := v.owner()
	v.worker("blindw", map[string]string{"pool": "blind"}, v.blind()) // first: its directory is made by it
	v.scheduler()
	v.worker("seenw", map[string]string{"pool": "seen"}, v.owner())
	id := v.running(owner, map[string]string{"pool": "seen"}, "seenw")
	vc := v.viewer()
	// The viewer may list seenw's directory and read the assignment there.
	if names, err := vc.st.Children(vc.st.Layout().WorkerTasks("seenw")); err != nil || len(names) != 1 {
		t.Fatalf("viewer's listing of seenw's tasks: %v %v", names, err)
	}
	tk, err := vc.Status(context.Background(), id)
	if err != nil {
		t.Errorf("the read-only identity's drover status of task %s, running on seenw whose directory it may list, fails because another worker's (blindw) is hidden: %v", id, err)
	} else if tk.State != store.StateRunning {
		t.Errorf("viewer's status of %s: %s, want running", id, tk.State)
	}
	// drover wait of it (its first look is the same look-up) is refused too.
	wctx, wcancel := context.WithTimeout(v.ctx, 3*time.Second)
	defer wcancel()
	if _, err := vc.Wait(wctx, id); errors.Is(err, store.ErrNoAuth) {
		t.Errorf("the read-only identity's drover wait of task %s, running on seenw, fails: %v", id, err)
	}
}
