package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The read-only identity (DROVER_ZK_AUTH_READONLY, "e.g. for a
// dashboard", README Security) is added to the ACL of what each process
// makes only when that process was given it too: a `drover submit` run
// with DROVER_ZK_AUTH alone (a submitter has no reason to know the
// viewer's password, and README does not say it must) queues a task the
// viewer cannot read, and the viewer's listing (drover ls, which "may run
// with read-only credentials") then fails whole, every other task with
// it, until the task is placed, with a message that blames the viewer's
// own credentials. Listing skips records it cannot decode; one it may not
// read should not end it.
func TestReview158ViewerListsPastASubmitterWithoutReadOnlyIdentity(t *testing.T) {
	root := drovertest.NewRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := func(auth, ro string) store.Config {
		return store.Config{Servers: []string{drovertest.Addr()}, Root: root, SessionTimeout: 4 * time.Second, Auth: auth, ReadOnlyAuth: ro}
	}
	owner, err := store.Open(ctx, cfg("owner:s3cret", "viewer:v1ew"))
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if _, err := New(owner).Submit(ctx, []TaskSpec{{Cmd: []string{"true"}, Name: "seen"}}); err != nil {
		t.Fatal(err)
	}
	submitter, err := store.Open(ctx, cfg("owner:s3cret", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer submitter.Close()
	if _, err := New(submitter).Submit(ctx, []TaskSpec{{Cmd: []string{"true"}, Name: "unseen"}}); err != nil {
		t.Fatal(err)
	}
	c := cfg("viewer:v1ew", "")
	c.MustExist = true
	viewer, err := store.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	tasks, err := New(viewer).List(context.Background(), "", 0)
	if err != nil {
		t.Fatalf("the read-only identity's listing failed whole over one task a submitter without DROVER_ZK_AUTH_READONLY queued (%d listed): %v", len(tasks), err)
	}
	if len(tasks) == 0 {
		t.Fatalf("the viewer lists no task; want at least the one queued with its identity")
	}
}
