package store_test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/drover-sched/drover/drovertest"
)

// Found by security review (review24): checkNotWorldWritable refuses a tree
// only when an ACL entry is world:anyone with a write permission. Any other
// entry that lets everybody write passes: ip:0.0.0.0/0 matches every IPv4
// client, so a root made with it is as open as a world-writable one, and
// Open with credentials runs in it. (So does a tree whose ACL gives another
// digest identity, or ip:<some host>, write access.)

// TestOpenWithAuthRefusesARootOpenToEveryIP: mallory (no credentials) makes
// the root with ACL ip:0.0.0.0/0:cdrwa; alice's Open makes the directories
// under it with her ACL and accepts the root, and mallory then deletes the
// epoch (the leaders' fencing record) and writes her own in its place.
func TestOpenWithAuthRefusesARootOpenToEveryIP(t *testing.T) {
	root := drovertest.NewRoot()
	conn, _, err := zk.Connect([]string{drovertest.Addr()}, 2*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	everyIP := []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: "0.0.0.0/0"}}
	if _, err := conn.Create(root, nil, 0, everyIP); err != nil {
		t.Fatal(err)
	}
	alice, err := open(t, root, "alice:s3cret")
	if err != nil {
		return // refused: what a cluster with credentials should do here
	}
	lay := alice.Layout()
	acl, _ := alice.ACL(root)
	if err := conn.Delete(lay.Epoch(), -1); err != nil {
		return // kept out
	}
	_, _ = conn.Create(lay.Epoch(), []byte("mallory's"), 0, everyIP)
	t.Fatalf("Open with credentials accepted root %s with ACL %v: a client without credentials deleted and replaced %s", root, acl, lay.Epoch())
}
