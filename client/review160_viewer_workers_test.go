package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

// 7d549a0 made listings skip what ZooKeeper's ACLs keep from the reader
// (drover ls, and an assignment's record in drover workers), but not the
// rest of what drover workers reads: a worker started with DROVER_ZK_AUTH
// and without DROVER_ZK_AUTH_READONLY (the mistake review158 found for a
// submitter) registers, and makes its assignments' directory, with no
// entry for the viewer, and the read-only identity's drover workers (and
// the dashboard's worker list) then fails whole, 'not authorized', over
// that one worker: every other worker goes unlisted with it. Expected:
// the other workers listed and the unreadable one skipped (counted), as
// drover ls does.
func TestReview160ViewerListsWorkersPastOneWithoutReadOnlyIdentity(t *testing.T) {
	root := drovertest.NewRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := func(auth, ro string) store.Config {
		return store.Config{Servers: []string{drovertest.Addr()}, Root: root, SessionTimeout: 4 * time.Second, Auth: auth, ReadOnlyAuth: ro}
	}
	start := func(id string, st *store.Store) {
		w, err := worker.New(worker.Config{ID: id, Commands: true, Store: st, Log: drovertest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		drovertest.Run(t, "worker "+id, w.Run)
		select {
		case <-w.Registered():
		case <-time.After(20 * time.Second):
			t.Fatal("worker did not register")
		}
	}
	owner, err := store.Open(ctx, cfg("owner:s3cret", "viewer:v1ew"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	start("seen", owner)
	blind, err := store.Open(ctx, cfg("owner:s3cret", ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blind.Close() })
	start("unseen", blind)

	c := cfg("viewer:v1ew", "")
	c.MustExist = true
	viewer, err := store.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	ws, skipped, err := New(viewer).ListWorkers()
	if err != nil {
		t.Fatalf("the read-only identity's drover workers failed whole over one worker started without DROVER_ZK_AUTH_READONLY (%d listed, %d skipped): %v", len(ws), skipped, err)
	}
	if len(ws) != 1 || ws[0].ID != "seen" || skipped != 1 {
		t.Fatalf("viewer listed %d workers, skipped %d; want the one registered with its identity listed and the other skipped", len(ws), skipped)
	}
}
