package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Open with credentials refused a tree only when an ACL entry was
// world:anyone with a write permission. Any other entry that lets others
// write passed: ip:0.0.0.0/0 matches every IPv4 client, and whoever made
// the tree first may keep write for a digest of their own. Mallory (no
// credentials) makes the root so; alice's Open must refuse it, or mallory
// deletes the epoch (the leaders' fencing record) and writes her own in
// its place. Others that may only read are fine. (Found by security
// review.)
func TestOpenWithAuthRefusesARootOthersMayChange(t *testing.T) {
	conn, _, err := zk.Connect([]string{drovertest.Addr()}, 2*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	alice := zk.DigestACL(zk.PermAll, "alice", "s3cret")
	for _, c := range []struct {
		name string
		acl  []zk.ACL
		ok   bool
	}{
		{"every IP", []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: "0.0.0.0/0"}}, false},
		{"alice and mallory's digest", append(zk.DigestACL(zk.PermWrite, "mallory", "x"), alice...), false},
		{"alice, every IP reading", append([]zk.ACL{{Perms: zk.PermRead, Scheme: "ip", ID: "0.0.0.0/0"}}, alice...), true},
		// ZooKeeper hides digest hashes from a client without ADMIN, so
		// alice sees her entry as digest:alice:x; a second one of her name,
		// another password (kept after a rotation, or made by whoever knew
		// her digest hash), hides as well, and may change the tree.
		{"alice without admin, alice:old with it", append(zk.DigestACL(zk.PermAll, "alice", "old"), zk.DigestACL(zk.PermAll&^zk.PermAdmin, "alice", "s3cret")...), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := drovertest.NewRoot()
			if _, err := conn.Create(root, nil, 0, c.acl); err != nil {
				t.Fatal(err)
			}
			_, err := open(t, root, "alice:s3cret")
			switch {
			case c.ok && err != nil:
				t.Fatalf("Open refused a root only alice may change: %v", err)
			case !c.ok && !errors.Is(err, store.ErrOpenTree):
				t.Fatalf("Open with credentials of a root with ACL %v: %v, want ErrOpenTree", c.acl, err)
			}
		})
	}
}

// A command that writes, given the cluster's read-only identity in
// DROVER_ZK_AUTH, was told the tree is writable by others and to setAcl it
// to its own identity alone, which would lock the owner out (review158's
// note). It is now told its credentials may only read.
func TestOpenWithTheReadOnlyIdentitySaysSo(t *testing.T) {
	conn, _, err := zk.Connect([]string{drovertest.Addr()}, 2*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	root := drovertest.NewRoot()
	acl := append(zk.DigestACL(zk.PermAll, "owner", "s3cret"), zk.DigestACL(zk.PermRead, "viewer", "v1ew")...)
	if _, err := conn.Create(root, nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	_, err = open(t, root, "viewer:v1ew")
	if !errors.Is(err, store.ErrReadOnlyIdentity) || errors.Is(err, store.ErrOpenTree) {
		t.Fatalf("Open with the read-only identity of a cluster: %v, want ErrReadOnlyIdentity", err)
	}
}
