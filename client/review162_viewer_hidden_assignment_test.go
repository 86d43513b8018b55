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

// README, Security: "a listing by the read-only identity skips what it may
// not read, and says how many". A worker started with DROVER_ZK_AUTH but
// without DROVER_ZK_AUTH_READONLY (review158/160's mistake) makes its
// assignments' directory with no entry for the viewer. store.Assignments
// skips such a directory silently (7d549a0): no count. So the viewer's
// drover ls leaves out the task running there and says nothing (Skipped
// 0), and its drover status (and wait) of that task, LookupTaskIn finding
// it in no directory it may list, says "task ID not found", exit 1: a task
// that runs. Expected: the hidden directory counted in Skipped, and a
// look-up that cannot list every directory not concluding the task is
// unknown (ErrNoAuth, "not authorized", rather than ErrUnknownTask).
func TestReview162ViewerIsToldARunningTaskOnAHiddenWorkerDoesNotExist(t *testing.T) {
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
	w, err := worker.New(worker.Config{ID: "unseen", Commands: true, Store: blind, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "worker", w.Run)
	select { // it makes its assignments' directory as it registers
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: owner, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler", s.Run)
	c := New(owner)
	res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"sleep", "60"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	drovertest.WaitFor(t, 30*time.Second, "the task running on the worker", func() bool {
		task, err := c.Status(id)
		return err == nil && task.State == store.StateRunning
	})
	vc := cfg("viewer:v1ew", "")
	vc.MustExist = true
	viewer := New(open(vc))
	var failed []string
	list, err := viewer.ListTasks(ctx, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	shown := false
	for _, task := range list.Tasks {
		shown = shown || task.ID == id
	}
	if !shown && list.Skipped == 0 {
		failed = append(failed, "drover ls: the running task left out, and nothing said skipped (Skipped 0)")
	}
	if _, err := viewer.Status(id); errors.Is(err, store.ErrUnknownTask) {
		failed = append(failed, "drover status: "+err.Error()+" (exit 1, \"task "+id+" not found\")")
	}
	if len(failed) > 0 {
		t.Fatalf("the viewer, of a task running on a worker started without the read-only identity:\n%v", failed)
	}
}
