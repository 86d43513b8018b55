package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
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
	root := drovertest.NewRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := func(auth, ro string) store.Config {
		return store.Config{Servers: []string{drovertest.Addr()}, Root: root, SessionTimeout: 4 * time.Second, Auth: auth, ReadOnlyAuth: ro}
	}
	open := func(c store.Config) *store.Store {
		st, err := store.Open(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	open(cfg("owner:s3cret", "viewer:v1ew")) // the tree, readable by the viewer
	blind := open(cfg("owner:s3cret", ""))
	w, err := worker.New(worker.Config{ID: "idlew", Labels: map[string]string{"pool": "blind"}, Commands: true, Store: blind, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "worker idlew", w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker idlew did not register")
	}

	c := cfg("viewer:v1ew", "")
	c.MustExist = true
	vc := New(open(c))
	dir := vc.st.Layout().WorkerTasks("idlew")
	if _, err := vc.st.Children(dir); !errors.Is(err, store.ErrNoAuth) {
		t.Fatalf("setup: viewer's listing of idlew's directory: %v, want not authorized", err)
	}
	if ok, st, err := vc.st.Exists(dir); err != nil || !ok || st.NumChildren != 0 {
		t.Fatalf("setup: idlew's directory by stat: %v %+v %v, want it there and empty", ok, st, err)
	}

	id := store.NewTaskID(time.Now()) // no such task
	if _, err := vc.Status(id); !errors.Is(err, store.ErrUnknownTask) {
		t.Errorf("the read-only identity's status of %s, a task that does not exist, beside an idle worker directory hidden from it (no children by its stat): %v, want %v", id, err, store.ErrUnknownTask)
	}
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if _, err := vc.Wait(wctx, id); !errors.Is(err, store.ErrUnknownTask) {
		t.Errorf("the read-only identity's wait of %s, a task that does not exist, beside the idle hidden directory: %v, want %v", id, err, store.ErrUnknownTask)
	}
}
