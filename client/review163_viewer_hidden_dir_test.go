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

// f6f17f9 made store.Assignments skip, silently, a worker's tasks/
// directory ZooKeeper's ACLs keep from the reader, for drover workers. But
// Assignments is also how drover status, logs, wait (LookupTaskIn,
// checkKnown) and drover ls find a task that is placed. A worker started
// without DROVER_ZK_AUTH_READONLY makes its tasks/ directory before any
// leader does, with no entry for the viewer; the leader (given the
// read-only identity) places a task there, its assignment record readable
// by the viewer. The viewer's drover status then says the running task
// does not exist ("no such task": before f6f17f9 it said 'not
// authorized'), and its drover ls leaves the task out without counting it
// as skipped, where README says a listing by the read-only identity skips
// what it may not read "and says how many".
func TestReview163ViewerHiddenAssignmentDirLosesTask(t *testing.T) {
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

	// The worker first: its directory is made by it, before a leader.
	w, err := worker.New(worker.Config{ID: "blindw", Commands: true, Store: blind, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "worker blindw", w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not register")
	}
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: open(cfg("owner:s3cret", "viewer:v1ew")), Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler s1", s.Run)

	res, err := New(owner).Submit(ctx, []TaskSpec{{Cmd: []string{"sleep", "60"}, Name: "hidden"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	drovertest.WaitFor(t, 30*time.Second, "task running", func() bool {
		tk, err := New(owner).Status(id)
		return err == nil && tk.State == store.StateRunning
	})

	c := cfg("viewer:v1ew", "")
	c.MustExist = true
	viewer := open(c)
	vc := New(viewer)
	if _, err := vc.Status(id); errors.Is(err, store.ErrUnknownTask) {
		t.Errorf("the viewer's drover status of task %s, running on a worker whose tasks/ directory it may not list, says the task does not exist: %v", id, err)
	}
	l, err := vc.ListTasks(ctx, ListOptions{})
	if err != nil {
		t.Fatalf("viewer's listing: %v", err)
	}
	found := false
	for _, tk := range l.Tasks {
		found = found || tk.ID == id
	}
	if !found && l.Skipped == 0 {
		t.Errorf("the viewer's drover ls neither lists running task %s nor counts anything skipped (%d listed): a placed task hidden without a word", id, len(l.Tasks))
	}
}
