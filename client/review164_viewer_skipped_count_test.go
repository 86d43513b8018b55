package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

// a5cf585 counts, in drover ls by the read-only identity, the worker
// directories it may not list (l.res.Skipped += len(hidden)), and drover ls
// prints that as "skipped N unreadable task record(s)". README: a listing
// by the read-only identity "skips what it may not read, and says how
// many". With three tasks running on a worker started without
// DROVER_ZK_AUTH_READONLY, the viewer's listing leaves out the three and
// says it skipped one (an idle such worker makes it say one is skipped
// where none is). The count of a directory's assignments needs no read
// permission (exists: its stat's NumChildren).
func TestReview164ViewerListingCountsDirectoriesNotTasks(t *testing.T) {
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
	w, err := worker.New(worker.Config{ID: "blindw", Capacity: 3, Commands: true, Store: open(cfg("owner:s3cret", "")), Log: drovertest.Logger(t)})
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

	var specs []TaskSpec
	for range 3 {
		specs = append(specs, TaskSpec{Cmd: []string{"sleep", "60"}})
	}
	if _, err := New(owner).Submit(ctx, specs); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 30*time.Second, "three tasks running", func() bool {
		l, err := New(owner).ListTasks(ctx, ListOptions{State: store.StateRunning})
		return err == nil && len(l.Tasks) == 3
	})

	c := cfg("viewer:v1ew", "")
	c.MustExist = true
	vc := New(open(c))
	l, err := vc.ListTasks(ctx, ListOptions{})
	if err != nil {
		t.Fatalf("viewer's listing: %v", err)
	}
	if missing := 3 - len(l.Tasks); l.Skipped < missing {
		t.Errorf("the viewer's drover ls leaves out %d running task(s) and says it skipped %d", missing, l.Skipped)
	}
}
