package scheduler

import (
	"os/exec"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/zkserver"
)

// setACL sets a znode's ACL with ZooKeeper's own CLI, as an operator would
// (README: Security): Drover itself never changes an ACL.
func setACL(t *testing.T, path, acl string) {
	t.Helper()
	java, cp, err := zkserver.Find()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(java, "-cp", cp, "org.apache.zookeeper.ZooKeeperMain",
		"-server", drovertest.Addr(), "setAcl", path, acl).CombinedOutput()
	if err != nil {
		t.Fatalf("setAcl %s %s: %v\n%s", path, acl, err, out)
	}
}

// A candidate that cannot read the line (its listing refused: here an ACL
// without read on the directory) keeps its znode and looks again. It
// joined again with a second znode, which stood behind the first, its own:
// once the line could be read again, it waited for itself for as long as
// its session lasted, and no scheduler led.
func TestElectionCandidateKeepsItsPlaceWhenTheLineCannotBeRead(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	dir := st.Layout().Election()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st1 := drovertest.OpenStoreAt(t, px.Addr(), root)
	setACL(t, dir, "world:anyone:cda")
	if acl, err := st.ACL(dir); err != nil || len(acl) != 1 || acl[0] != "world:anyone:cda" {
		t.Fatalf("election directory's acl %v (%v)", acl, err)
	}
	s1, err := New(Config{ID: "s1", Store: st1, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	since := px.Requests()
	drovertest.Run(t, "scheduler s1", s1.Run)
	// A join and a refused listing, then a second look (or join): the
	// candidate has failed to read the line at least twice.
	drovertest.WaitFor(t, 10*time.Second, "two looks at the line", func() bool { return px.Requests()-since >= 4 })
	setACL(t, dir, "world:anyone:cdrwa")
	drovertest.WaitFor(t, 15*time.Second, "s1 leads", s1.IsLeader)
	if kids, err := st.Children(dir); err != nil || len(kids) != 1 {
		t.Fatalf("election line %v (%v), want s1's one znode", kids, err)
	}
}
