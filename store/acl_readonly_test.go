package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The read-only identity (DROVER_ZK_AUTH_READONLY, "e.g. for a dashboard",
// README Security) opens the tree it was made for, to read: only a process
// that makes the tree checks that no identity but its own may change it,
// and to the viewer the owner's entry is another identity. (Found by
// review.)
func TestOpenAsTheReadOnlyIdentityReadsTheOwnersTree(t *testing.T) {
	root := drovertest.NewRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	owner, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: root, SessionTimeout: 2 * time.Second,
		Auth: "owner:s3cret", ReadOnlyAuth: "viewer:s3cret2"})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	viewer, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: root, SessionTimeout: 2 * time.Second,
		Auth: "viewer:s3cret2", MustExist: true})
	if err != nil {
		t.Fatalf("the read-only identity could not open the tree made for it (a command that only reads): %v", err)
	}
	defer viewer.Close()
	if _, _, err := viewer.Exists(root); err != nil {
		t.Fatalf("viewer reads %s: %v", root, err)
	}
}
