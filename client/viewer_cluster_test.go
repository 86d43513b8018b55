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

// viewerCluster is a private root run with owner credentials and a
// read-only identity (DROVER_ZK_AUTH_READONLY), for the tests of what the
// viewer sees when a process not given that identity ("blind") made some
// of the znodes. Everything it starts stops at the test's end.
type viewerCluster struct {
	t    *testing.T
	ctx  context.Context
	root string
}

func newViewerCluster(t *testing.T) *viewerCluster {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return &viewerCluster{t: t, ctx: ctx, root: drovertest.NewRoot()}
}

// open opens a store on the root with credentials auth and read-only
// identity ro ("": none); mustExist as a reader's.
func (v *viewerCluster) open(auth, ro string, mustExist bool) *store.Store {
	v.t.Helper()
	st, err := store.Open(v.ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: v.root,
		SessionTimeout: 4 * time.Second, Auth: auth, ReadOnlyAuth: ro, MustExist: mustExist})
	if err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(st.Close)
	return st
}

// owner is a store with the owner's credentials that gives the viewer read.
func (v *viewerCluster) owner() *store.Store { return v.open("owner:s3cret", "viewer:v1ew", false) }

// blind is a store with the owner's credentials that does not.
func (v *viewerCluster) blind() *store.Store { return v.open("owner:s3cret", "", false) }

// viewer is a client with the read-only identity alone.
func (v *viewerCluster) viewer() *Client { return New(v.open("viewer:v1ew", "", true)) }

// worker starts a worker of id and labels on st that runs commands, and
// waits for its registration.
func (v *viewerCluster) worker(id string, labels map[string]string, st *store.Store) {
	v.t.Helper()
	w, err := worker.New(worker.Config{ID: id, Labels: labels, Commands: true, Store: st, Log: drovertest.Logger(v.t)})
	if err != nil {
		v.t.Fatal(err)
	}
	drovertest.Run(v.t, "worker "+id, w.Run)
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		v.t.Fatalf("worker %s did not register", id)
	}
}

// scheduler starts a scheduler given the read-only identity.
func (v *viewerCluster) scheduler() {
	v.t.Helper()
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: v.owner(), Log: drovertest.Logger(v.t)})
	if err != nil {
		v.t.Fatal(err)
	}
	drovertest.Run(v.t, "scheduler s1", s.Run)
}

// running submits cmd (as the owner) with labels on and waits for it to
// run on worker w; it returns the task's id.
func (v *viewerCluster) running(owner *store.Store, on map[string]string, w string) string {
	v.t.Helper()
	res, err := New(owner).Submit(v.ctx, []TaskSpec{{Cmd: []string{"sleep", "60"}, On: on}})
	if err != nil {
		v.t.Fatal(err)
	}
	id := res[0].ID
	drovertest.WaitFor(v.t, 30*time.Second, "task running on "+w, func() bool {
		tk, err := New(owner).Status(context.Background(), id)
		return err == nil && tk.State == store.StateRunning && tk.Worker == w
	})
	return id
}
