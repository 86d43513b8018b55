package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// ZooKeeper answers getACL with every digest hash replaced by "x" to a
// client without ADMIN on the znode. A tree whose ACL gives Drover's
// identity cdrw (an operator who keeps setAcl for himself) comes back as
// "digest:alice:x": that is alice's own entry, not another identity that
// may change the tree. (Found by review.)
func TestOpenWithAuthAcceptsItsOwnTreeWithoutAdmin(t *testing.T) {
	conn, _, err := zk.Connect([]string{drovertest.Addr()}, 2*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	root := drovertest.NewRoot()
	if _, err := conn.Create(root, nil, 0, zk.DigestACL(zk.PermAll&^zk.PermAdmin, "alice", "s3cret")); err != nil {
		t.Fatal(err)
	}
	for _, mustExist := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		st, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: root, SessionTimeout: 2 * time.Second,
			Auth: "alice:s3cret", MustExist: mustExist})
		cancel()
		if err != nil {
			t.Fatalf("Open (must exist %v) refused a root only alice may change (cdrw): %v", mustExist, err)
		}
		st.Close()
	}
}
