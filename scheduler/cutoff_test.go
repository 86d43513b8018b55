package scheduler

import (
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A leader cut off from ZooKeeper (a partition: nothing reaches it, so
// go-zookeeper learns of the expiry only once it can connect again) goes
// on calling itself the leader for as long as the partition lasts, long
// after its session expired and its successor took over: IsLeader (the
// drover_leader gauge, the dashboard's served_by) stays true on both.
// Nothing bounds it, where a worker cut off stops its runs at five sixths
// of its session (store.SessionDeadline). Its writes are fenced; its word
// is not.
func TestPartitionedLeaderStopsClaimingToLeadOnceItsSessionIsPast(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st1 := drovertest.OpenStoreAt(t, px.Addr(), root)
	s1, _ := runScheduler(t, st1, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
	s2, _ := runScheduler(t, drovertest.OpenStore(t, root), "s2")
	px.Freeze()
	drovertest.WaitFor(t, 30*time.Second, "s2 leads", s2.IsLeader)
	// s1's session is gone on the server; its own deadline for it passed
	// before s2 could lead. Give it three more session timeouts.
	deadline := time.Now().Add(3 * st1.GrantedSessionTimeout())
	for time.Now().Before(deadline) {
		if !s1.IsLeader() {
			return
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, as WaitFor does
	}
	t.Fatalf("s1 (cut off, session expired at %v) still says it leads %v after s2 took over at epoch %d: two leaders reported",
		st1.SessionDeadline().Format(time.StampMilli), 3*st1.GrantedSessionTimeout(), s2.Epoch())
}

// A cluster whose epoch znode is gone (deleted by hand, as a deadletter
// move or an operator's cleanup might) never has a leader again until a
// scheduler restarts: every term's BumpEpoch fails with "no node" and the
// term resigns, and only store.Open makes the znode. BumpEpoch moves a
// malformed record aside and carries on; a missing one ends every term.
func TestLeaderIsElectedWhenTheEpochZnodeIsGone(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	st1 := drovertest.OpenStore(t, root) // opened first: Open makes the epoch znode
	if err := st.Delete(st.Layout().Epoch(), -1); err != nil {
		t.Fatal(err)
	}
	s1, _ := runScheduler(t, st1, "s1")
	drovertest.WaitFor(t, 15*time.Second, "s1 leads", s1.IsLeader)
}

// A cluster whose election directory is gone (deleted by hand: zkCli's
// deleteall on it, to kick a stuck leader, takes the candidates' znodes and
// then the directory) never has a leader again until a scheduler restarts:
// every campaign's create fails with "no node" and Run tries again each
// second, for ever; only store.Open makes the directory. The epoch znode
// and deadletter/ are made again when found missing; the election
// directory is not. (Found by review.)
func TestLeaderIsElectedWhenTheElectionDirectoryIsGone(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	st1 := drovertest.OpenStore(t, root) // opened first: Open makes the directory
	if err := st.Delete(st.Layout().Election(), -1); err != nil {
		t.Fatal(err)
	}
	s1, _ := runScheduler(t, st1, "s1")
	drovertest.WaitFor(t, 15*time.Second, "s1 leads", s1.IsLeader)
}

// The same directory taken away under running schedulers, as deleteall
// does it: the candidates' znodes, then the directory. The leader's term
// ends (its fence is gone); the standby, waiting for its turn, finds the
// line unreadable and keeps its place behind a directory that no longer
// exists; neither leads again. (Found by review.) Once the directory is
// made again, the first term's fence still fails its writes: it is not in
// the new line.
func TestLeaderIsElectedAfterTheElectionDirectoryIsDeletedUnderIt(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s1, _ := runScheduler(t, drovertest.OpenStore(t, root), "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
	s2, _ := runScheduler(t, drovertest.OpenStore(t, root), "s2")
	dir := st.Layout().Election()
	drovertest.WaitFor(t, 10*time.Second, "s2 stands by", func() bool {
		kids, err := st.Children(dir)
		return err == nil && len(kids) == 2
	})
	line, err := st.Candidates()
	if err != nil || len(line) != 2 || line[0].Info.ID != "s1" {
		t.Fatalf("election line %+v (%v), want s1 then s2", line, err)
	}
	oldFence := dir + "/" + line[0].Node
	drovertest.WaitFor(t, 10*time.Second, "deleteall "+dir, func() bool {
		kids, err := st.Children(dir)
		if errors.Is(err, store.ErrNoNode) {
			return true
		}
		for _, k := range kids {
			_ = st.Delete(dir+"/"+k, -1)
		}
		return st.Delete(dir, -1) == nil
	})
	drovertest.WaitFor(t, 20*time.Second, "a leader again", func() bool {
		return (s1.IsLeader() || s2.IsLeader()) && func() bool {
			line, err := st.Candidates()
			return err == nil && len(line) > 0
		}()
	})
	probe := st.Layout().Root + "/old-term-write"
	if err := st.EnsurePathFenced(probe, oldFence); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a write fenced by the first term's znode %s: err %v, want ErrFenced", oldFence, err)
	}
	if ok, _, err := st.Exists(probe); err != nil || ok {
		t.Fatalf("%s made by the first term's fenced write (%v)", probe, err)
	}
}
