package scheduler

import (
	"context"
	"encoding/binary"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
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

// A candidate whose election znode's create lost its reply, and which then
// cannot read the line to find it by its guid (the same ACL without read
// on the directory as above), fails the campaign and joins again with a
// second znode: the first, its own session's, stays in line ahead of it.
// Once the line can be read again the candidate waits for itself for as
// long as its session lasts, and no scheduler leads. keepPlace keeps its
// znode after a refused listing; CreateSequentialEphemeral's own look
// (childWithPrefix) gives up and leaves the znode behind. (Found by review.)
func TestElectionCandidateDoesNotStandBehindItsOwnZnodeAfterALostCreateReply(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	dir := st.Layout().Election()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st1 := drovertest.OpenStoreAt(t, px.Addr(), root)
	setACL(t, dir, "world:anyone:cda")
	children := func() int32 {
		_, stat, err := st.Exists(dir) // exists needs no read permission
		if err != nil {
			t.Fatal(err)
		}
		return stat.NumChildren
	}
	px.DropRepliesAfter([]byte("/election/n_"))
	s1, err := New(Config{ID: "s1", Store: st1, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "scheduler s1", s1.Run)
	drovertest.WaitFor(t, 10*time.Second, "s1's first znode made, its reply lost", func() bool { return px.Dropping() && children() == 1 })
	px.Cut(true)
	px.Cut(false)
	drovertest.WaitFor(t, 15*time.Second, "s1 joins again with a second znode", func() bool { return children() == 2 })
	setACL(t, dir, "world:anyone:cdrwa")
	drovertest.WaitFor(t, 30*time.Second, "s1 leads", s1.IsLeader)
}

// TestElectionCandidateLeavesAnotherCandidateOfItsSession: two Schedulers
// on one Store share its session, so an election znode ahead that this
// session owns may be the other's; a candidate deletes only its own (as
// TestElectionCandidateDoesNotStandBehindItsOwnZnodeAfterALostCreateReply
// needs), or the two would take turns deleting the leader's fence.
func TestElectionCandidateLeavesAnotherCandidateOfItsSession(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	var standing atomic.Bool
	testHookStandingBy = func(id string) { standing.Store(standing.Load() || id == "s2") }
	t.Cleanup(func() { testHookStandingBy = nil }) // after the schedulers stop
	s1, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
	epoch := s1.Epoch()
	s2, _ := runScheduler(t, st, "s2")
	// s2 stands by once it watches s1's znode: after the check that would
	// have deleted it, and so ended s1's term.
	drovertest.WaitFor(t, 10*time.Second, "s2 stands by", standing.Load)
	if !s1.IsLeader() || s2.IsLeader() || s1.Epoch() != epoch {
		t.Fatalf("s1 leads %v (epoch %d, was %d), s2 leads %v: s2 took s1's election znode, of the same session, for its own", s1.IsLeader(), s1.Epoch(), epoch, s2.IsLeader())
	}
}

// TestElectionSchedulersOfOneIDOnOneStoreLeaveEachOther: ownCandidate tells
// a candidate's own znode from another's of the same session by its data,
// the candidate's id, host and pid; two Schedulers given one id on one Store
// (New does not refuse it) had the same data, and the second deleted the
// leader's fence as if it were its own orphan, and the two took turns ending
// each other's terms. Each candidate's data now holds its own token. (Found
// by review.)
func TestElectionSchedulersOfOneIDOnOneStoreLeaveEachOther(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	var standing atomic.Int32
	testHookStandingBy = func(string) { standing.Add(1) }
	t.Cleanup(func() { testHookStandingBy = nil }) // after the schedulers stop
	s1, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
	epoch := s1.Epoch()
	s2, _ := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "the second stands by, or the term changes", func() bool {
		return standing.Load() > 0 || s2.IsLeader() || s1.Epoch() != epoch || !s1.IsLeader()
	})
	if !s1.IsLeader() || s2.IsLeader() || s1.Epoch() != epoch {
		t.Fatalf("first leads %v (epoch %d, was %d), second leads %v (epoch %d): the second took the leader's election znode, of the same session and data, for its own orphan",
			s1.IsLeader(), s1.Epoch(), epoch, s2.IsLeader(), s2.Epoch())
	}
}

// A candidate that finds an election znode of its own session ahead of it
// reads its data to tell whether it is its own (ownCandidate). When that
// read fails with the connection, it took the znode for another
// candidate's and stood by behind it: the znode's watch, set again on the
// reconnect, never fires while the session keeps it, so the candidate
// waited for itself for as long as its session lasted, and no scheduler
// led. (Found by review.)
func TestElectionCandidateLooksAgainWhenItsOwnZnodeAheadCannotBeRead(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	dir := st.Layout().Election()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st1 := drovertest.OpenStoreAt(t, px.Addr(), root)
	// s1's znode of an earlier campaign, left in line by its session (a
	// create whose reply was lost, say), as s1 made it.
	s1, err := New(Config{ID: "s1", Store: st1, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	data, err := store.Encode(&s1.election.info)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	left, _, err := st1.CreateSequentialEphemeral(ctx, dir, "n_", data)
	if err != nil {
		t.Fatal(err)
	}
	// The connection is lost at the read of that znode's data (a getData
	// request, opcode 4, naming its path): the request goes unanswered.
	path := dir + "/" + left
	marker := binary.BigEndian.AppendUint32(nil, 4)
	marker = binary.BigEndian.AppendUint32(marker, uint32(len(path)))
	px.FreezeAt(append(marker, path...))
	drovertest.Run(t, "scheduler s1", s1.Run)
	drovertest.WaitFor(t, 10*time.Second, "s1 reads its znode ahead", px.Frozen)
	px.Cut(true)
	px.Cut(false)
	drovertest.WaitFor(t, 15*time.Second, "s1 leads", s1.IsLeader)
}
