package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
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
	owner := open(cfg("owner:s3cret", "viewer:v1ew"))
	blind := open(cfg("owner:s3cret", ""))

	start := func(id string, labels map[string]string, st *store.Store) {
		w, err := worker.New(worker.Config{ID: id, Labels: labels, Commands: true, Store: st, Log: drovertest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		drovertest.Run(t, "worker "+id, w.Run)
		select {
		case <-w.Registered():
		case <-time.After(20 * time.Second):
			t.Fatalf("worker %s did not register", id)
		}
	}
	// The misconfigured worker first: its directory is made by it.
	start("blindw", map[string]string{"pool": "blind"}, blind)
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: open(cfg("owner:s3cret", "viewer:v1ew")), Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler s1", s.Run)
	start("seenw", map[string]string{"pool": "seen"}, open(cfg("owner:s3cret", "viewer:v1ew")))

	res, err := New(owner).Submit(ctx, []TaskSpec{{Cmd: []string{"sleep", "60"}, Name: "visible", On: map[string]string{"pool": "seen"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	drovertest.WaitFor(t, 30*time.Second, "task running on seenw", func() bool {
		tk, err := New(owner).Status(id)
		return err == nil && tk.State == store.StateRunning && tk.Worker == "seenw"
	})

	c := cfg("viewer:v1ew", "")
	c.MustExist = true
	vc := New(open(c))
	// The viewer may list seenw's directory and read the assignment there.
	if names, err := vc.st.Children(vc.st.Layout().WorkerTasks("seenw")); err != nil || len(names) != 1 {
		t.Fatalf("viewer's listing of seenw's tasks: %v %v", names, err)
	}
	tk, err := vc.Status(id)
	if err != nil {
		t.Errorf("the read-only identity's drover status of task %s, running on seenw whose directory it may list, fails because another worker's (blindw) is hidden: %v", id, err)
	} else if tk.State != store.StateRunning {
		t.Errorf("viewer's status of %s: %s, want running", id, tk.State)
	}
	// drover wait of it (its first look is the same look-up) is refused too.
	wctx, wcancel := context.WithTimeout(ctx, 3*time.Second)
	defer wcancel()
	if _, err := vc.Wait(wctx, id); errors.Is(err, store.ErrNoAuth) {
		t.Errorf("the read-only identity's drover wait of task %s, running on seenw, fails: %v", id, err)
	}
}
