package store_test

import (
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

// Found by security review: Open with credentials takes over whatever tree
// it finds at its root, whatever its ACL. ZooKeeper's "/" is world-writable
// by default, so any client of a shared ensemble can create a root (or the
// whole layout) before Drover first starts; an open cluster later given
// credentials without the README's setAcl -R is the same tree. Open's
// EnsurePath sees the directories exist and creates nothing, and the
// cluster then runs in a tree other identities may write: Drover's own
// records are created with the digest ACL, but the directories holding them
// are not.

// TestOpenWithAuthRefusesATreeOthersMayWrite: mallory (no credentials)
// creates the layout; alice opens it with hers and gets no error, and
// mallory can still create znodes under its queue/ (a bucket, and in it a
// task record alice's leader would place and her workers run).
func TestOpenWithAuthRefusesATreeOthersMayWrite(t *testing.T) {
	root := drovertest.NewRoot()
	mallory, err := open(t, root, "") // makes root and every directory, world-open
	if err != nil {
		t.Fatal(err)
	}
	alice, err := open(t, root, "alice:s3cret")
	if err != nil {
		return // refused: what a cluster with credentials should do here
	}
	lay := alice.Layout()
	acl, _ := alice.ACL(lay.Queue())
	if err := mallory.Create(lay.Queue()+"/evil", []byte(`{"v":1}`)); err == nil {
		t.Fatalf("Open with credentials accepted a tree whose %s has ACL %v: another identity creates znodes in it", lay.Queue(), acl)
	}
}

// TestOpenWithAuthRefusesAWorldWritableRoot: mallory creates the root alone;
// alice's Open makes the directories under it with her ACL, but the root
// keeps world cdrwa, so mallory can delete a childless znode there and put
// her own in its place: the epoch (the leaders' fencing record), an empty
// schedules/ or election/ made again world-open and filled with her records.
func TestOpenWithAuthRefusesAWorldWritableRoot(t *testing.T) {
	root := drovertest.NewRoot()
	mallory, err := open(t, drovertest.NewRoot(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := mallory.Create(root, nil); err != nil {
		t.Fatal(err)
	}
	alice, err := open(t, root, "alice:s3cret")
	if err != nil {
		return // refused
	}
	lay := alice.Layout()
	acl, _ := alice.ACL(root)
	if err := mallory.Delete(lay.Epoch(), -1); err != nil {
		return // kept out
	}
	_ = mallory.Create(lay.Epoch(), []byte("mallory's"))
	t.Fatalf("Open with credentials accepted root %s with ACL %v: another identity deleted and replaced %s", root, acl, lay.Epoch())
}
