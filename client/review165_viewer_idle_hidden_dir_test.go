package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// 66b0f37 fails a look-up with ErrHiddenTask ("may hold it") whenever the
// task is found nowhere and some worker's tasks/ directory is hidden from
// the reader, even one that holds nothing: its stat (exists needs no read
// right, as ListTasks now counts hidden assignments by it) says it has no
// children. One idle worker started without DROVER_ZK_AUTH_READONLY then
// makes the read-only identity's drover status and wait of every id that
// names no task (a typo, a task pruned) say it may be on that worker,
// where they said "not found": a task no directory can hold is unknown.
func TestReview165ViewerUnknownTaskBesideIdleHiddenDir(t *testing.T) {
	v := newViewerCluster(t)
	v.owner() // the tree, readable by the viewer
	v.worker("idlew", map[string]string{"pool": "blind"}, v.blind())
	vc := v.viewer()
	dir := vc.st.Layout().WorkerTasks("idlew")
	if _, err := vc.st.Children(dir); !errors.Is(err, store.ErrNoAuth) {
		t.Fatalf("setup: viewer's listing of idlew's directory: %v, want not authorized", err)
	}
	if ok, st, err := vc.st.Exists(dir); err != nil || !ok || st.NumChildren != 0 {
		t.Fatalf("setup: idlew's directory by stat: %v %+v %v, want it there and empty", ok, st, err)
	}

	id := store.NewTaskID(time.Now()) // no such task
	if _, err := vc.Status(context.Background(), id); !errors.Is(err, store.ErrUnknownTask) {
		t.Errorf("the read-only identity's status of %s, a task that does not exist, beside an idle worker directory hidden from it (no children by its stat): %v, want %v", id, err, store.ErrUnknownTask)
	}
	wctx, wcancel := context.WithTimeout(v.ctx, 20*time.Second)
	defer wcancel()
	if _, err := vc.Wait(wctx, id); !errors.Is(err, store.ErrUnknownTask) {
		t.Errorf("the read-only identity's wait of %s, a task that does not exist, beside the idle hidden directory: %v, want %v", id, err, store.ErrUnknownTask)
	}
}
