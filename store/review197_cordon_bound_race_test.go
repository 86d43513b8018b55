package store_test

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// MaxCordons is checked (roomForCordon: the directory's child count) and
// then the cordon made, in two requests: two clients cordoning at once at
// one under the bound both find room, and both cordons are made. README
// says "at most 4,096 cordons may be in place". Here the bound is 1; A's
// create is held after its check found none in place, B cordons another
// id meanwhile, and A's create then lands: 2 cordons in place, at most 1.
// Expected: A refused with ErrTooManyCordons (the count checked in the
// create's transaction, say by the cordons directory's cversion).
func TestReview197CordonsBoundRacedByTwoClients(t *testing.T) {
	defer store.SetMaxCordons(1)()
	root := drovertest.NewRoot()
	b := drovertest.OpenStore(t, root)
	if err := b.EnsurePath(b.Layout().Cordons()); err != nil {
		t.Fatal(err)
	}
	px := drovertest.StartProxy(t, drovertest.Addr())
	a := drovertest.OpenStoreFor(t, px.Addr(), root, 10*time.Second)
	px.HoldAt([]byte(a.Layout().Cordon("rv197a"))) // A's create, after its check
	aErr := make(chan error, 1)
	go func() {
		_, err := a.CordonWorker("rv197a", store.Cordon{})
		aErr <- err
	}()
	select {
	case <-px.Held():
	case <-time.After(20 * time.Second):
		t.Fatal("A's create of its cordon never sent")
	}
	if _, err := b.CordonWorker("rv197b", store.Cordon{}); err != nil {
		t.Fatalf("B's cordon: %v", err)
	}
	px.Release()
	var err error
	select {
	case err = <-aErr:
	case <-time.After(30 * time.Second):
		t.Fatal("A's cordon did not end")
	}
	ids, cerr := b.Children(b.Layout().Cordons())
	if cerr != nil {
		t.Fatal(cerr)
	}
	if len(ids) > 1 {
		t.Fatalf("two clients cordoning at once with the bound at 1: %d cordons in place (%v), A's error %v; want at most 1, A refused (ErrTooManyCordons)", len(ids), ids, err)
	}
}
