package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review (review25): since checkNotWorldWritable runs for commands
// that only read (MustExist) and counts as "others" every identity but the
// one the process authenticates with, the read-only identity
// (DROVER_ZK_AUTH_READONLY, "e.g. for a dashboard", README Security) can no
// longer open the tree it was made for: authenticated as viewer, the
// owner's own digest entry (cdrwa) is "another identity that may change
// it", and Open fails with ErrOpenTree. Before, a reader opened it.
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
