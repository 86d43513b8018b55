package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review (review26): checkNotWorldWritable takes any
// "digest:alice:x" for alice's own entry, since ZooKeeper hides every
// digest hash from a client without ADMIN. But a second entry of that name
// with another password is another identity that may change the tree, and
// it hides just as well: whoever holds alice's old password (the tree's
// ACL kept after a rotation gave the new one cdrw without admin), or
// mallory, who made the root first and knows the digest hash (not the
// password) of alice's (a hash pasted in setAcl commands, logs, runbooks),
// keeps write and admin on a tree Open now accepts: she deletes the epoch,
// the leaders' fencing record, and writes her own. Before 6e3bee6 alice
// saw "alice:x" for her own entry too and refused the tree. (Failing.)
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
