package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// ZooKeeper hides every digest hash from a client without ADMIN, so alice
// sees her own entry as "digest:alice:x". A second entry of that name with
// another password hides just as well, and is another identity that may
// change the tree: whoever holds alice's old password (an ACL kept after a
// rotation that gave the new one cdrw without admin), or mallory, who made
// the root first and knows the digest hash of alice's. Open refuses a tree
// with two such entries. (Found by review.)
func TestOpenWithAuthRefusesARootAnotherPasswordOfItsNameMayChange(t *testing.T) {
	conn, _, err := zk.Connect([]string{drovertest.Addr()}, 2*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.AddAuth("digest", []byte("alice:old")); err != nil {
		t.Fatal(err)
	}
	root := drovertest.NewRoot()
	acl := append(zk.DigestACL(zk.PermAll, "alice", "old"), zk.DigestACL(zk.PermAll&^zk.PermAdmin, "alice", "s3cret")...)
	if _, err := conn.Create(root, nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	st, err := open(t, root, "alice:s3cret")
	if errors.Is(err, store.ErrOpenTree) {
		return
	}
	if err != nil {
		t.Fatalf("Open: %v, want ErrOpenTree", err)
	}
	// Accepted: the other alice may replace the fencing record.
	epoch := st.Layout().Epoch()
	derr := conn.Delete(epoch, -1)
	t.Fatalf("Open with alice:s3cret accepted a root that alice:old may change (ACL %v); alice:old deleting %s: %v", acl, epoch, derr)
}
