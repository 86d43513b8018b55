package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review199: a second follower of a task already followed adds no znode
// (FollowTask: "unless another follower's is there (owned false: it is
// shared"), and README counts tasks followed, not followers; with 1,024
// tasks followed, it is refused all the same: FollowTask counts the
// directory before it looks for the task's znode.
func TestReview199SecondFollowerOfAFollowedTaskAtTheCap(t *testing.T) {
	root := drovertest.NewRoot()
	first := drovertest.OpenStore(t, root)
	var ids []string
	for range store.MaxFollowers {
		id := store.NewTaskID(time.Now())
		if _, err := first.FollowTask(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	second := drovertest.OpenStore(t, root)
	owned, err := second.FollowTask(context.Background(), ids[0])
	if err != nil || owned {
		t.Fatalf("a second follower of a task followed, with %d tasks followed: owned %v, %v; want the znode shared (false, nil)", store.MaxFollowers, owned, errors.Unwrap(err))
	}
}

// review199: the bound on the follow directory is checked apart from the
// create (FollowTask lists, then creates), as cordons' was before the fix
// review197 asked for: two followers that both find 1,023 tasks followed
// both get in, and 1,025 are. Here A's create is held after its check, B
// follows another task, and A's create then lands.
func TestReview199FollowersBoundRacedByTwoClients(t *testing.T) {
	root := drovertest.NewRoot()
	b := drovertest.OpenStore(t, root)
	for range store.MaxFollowers - 1 {
		if _, err := b.FollowTask(context.Background(), store.NewTaskID(time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	px := drovertest.StartProxy(t, drovertest.Addr())
	a := drovertest.OpenStoreFor(t, px.Addr(), root, 10*time.Second)
	idA, idB := store.NewTaskID(time.Now()), store.NewTaskID(time.Now())
	px.HoldAt([]byte(a.Layout().FollowNode(idA))) // A's create, after its count
	aErr := make(chan error, 1)
	go func() {
		_, err := a.FollowTask(context.Background(), idA)
		aErr <- err
	}()
	select {
	case <-px.Held():
	case <-time.After(20 * time.Second):
		t.Fatal("A's create of its follow znode never sent")
	}
	if _, err := b.FollowTask(context.Background(), idB); err != nil {
		t.Fatalf("B's follow: %v", err)
	}
	px.Release()
	var err error
	select {
	case err = <-aErr:
	case <-time.After(30 * time.Second):
		t.Fatal("A's follow did not end")
	}
	ids, cerr := b.Children(b.Layout().Follow())
	if cerr != nil {
		t.Fatal(cerr)
	}
	if len(ids) > store.MaxFollowers {
		t.Fatalf("two followers at once with %d tasks followed: %d in the follow directory, A's error %v; want at most %d (README: at most 1,024 tasks are followed at once), A refused (ErrTooManyFollowers)", store.MaxFollowers-1, len(ids), err, store.MaxFollowers)
	}
}
