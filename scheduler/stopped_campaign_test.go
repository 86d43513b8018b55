package scheduler

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Run promises that on return it has resigned, so a standby takes over
// without waiting for the session timeout. A scheduler stopped while its
// store is cut off from ZooKeeper cannot delete its election znode: Resign
// notes it for the next campaign (Election.left) and Run returns nil. The
// store stays open and reconnects within its session, which keeps the
// znode, first in line, for as long as the store lives: no other scheduler
// ever leads, though the one that led has stopped.
func TestStoppedSchedulerLeavesNoElectionZnodeAfterAReconnect(t *testing.T) {
	const timeout = 8 * time.Second
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	st1 := drovertest.OpenStoreFor(t, px.Addr(), root, timeout)
	s1, stop1 := runScheduler(t, st1, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
	s2, _ := runScheduler(t, st, "s2")
	drovertest.WaitFor(t, 10*time.Second, "s2 in line", func() bool {
		kids, err := st.Children(st.Layout().Election())
		return err == nil && len(kids) == 2
	})
	sess, err := st1.CurrentSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	px.Cut(true)
	drovertest.WaitFor(t, 5*time.Second, "st1 disconnected", func() bool { up, _ := st1.Connected(); return !up })
	stop1() // Run returns: it "has resigned"
	px.Cut(false)
	drovertest.WaitFor(t, timeout, "st1 back on its session", func() bool {
		up, _ := st1.Connected()
		cur, err := st1.CurrentSession(context.Background())
		return up && err == nil && cur == sess
	})
	// The standby takes over at once after a resign; allow it twice the
	// session timeout.
	if !drovertest.Eventually(2*timeout, s2.IsLeader) {
		kids, _ := st.Children(st.Layout().Election())
		t.Fatalf("s1's Run returned while cut off and its store reconnected on the same session: "+
			"no scheduler leads %v later; election line %v (s1's znode left behind, kept alive by the open store)", 2*timeout, kids)
	}
}

// goroutinesOf returns the stacks of live goroutines that run code of this
// package (the scheduler's own goroutines).
func goroutinesOf(pkg string) []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, pkg) && !strings.Contains(g, "testing.tRunner") && !strings.Contains(g, "goroutinesOf") {
			out = append(out, g)
		}
	}
	return out
}

// Once Run has returned, no goroutine of the scheduler's is left: a term's
// goroutines (watch forwarders, placements, listings, retention, bucket
// preparation, reads ahead of schedules) end with the term.
func TestNoSchedulerGoroutineOutlivesRun(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := registerWorker(t, root, "w1", 2, nil)
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *"})
	s1, stop := runScheduler(t, drovertest.OpenStore(t, root), "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
	submit(t, st, 5, nil)
	drovertest.WaitFor(t, 10*time.Second, "work placed", func() bool { return len(w.assignments(t)) > 0 })
	drovertest.WaitFor(t, 10*time.Second, "a slot fired", func() bool { return readSchedule(t, st, "tick").Fired > 0 })
	stop()
	const pkg = "drover-sched/drover/scheduler."
	var left []string
	if !drovertest.Eventually(5*time.Second, func() bool { left = goroutinesOf(pkg); return len(left) == 0 }) {
		t.Fatalf("%d goroutines of the scheduler outlive Run by 5s:\n%s", len(left), strings.Join(left, "\n\n"))
	}
}

// A campaign stopped while the reply to its election znode's create is
// lost: the create was applied, but CreateSequentialEphemeral's look for it
// by its guid (childWithPrefix) waits for the session, and gives up with
// ctx, naming no znode. Campaign cannot note it (Election.left) nor delete
// it, and Run returns nil. Once the store is back on its session the znode
// stands in line, owned by a scheduler that is not running: the candidate
// behind it waits for it for as long as the store stays open, and when the
// leader ahead resigns nobody leads.
func TestStoppedCampaignLeavesNoElectionZnodeAfterALostCreateReply(t *testing.T) {
	const timeout = 8 * time.Second
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	dir := st.Layout().Election()
	s0, stop0 := runScheduler(t, drovertest.OpenStore(t, root), "s0")
	drovertest.WaitFor(t, 10*time.Second, "s0 leads", s0.IsLeader)
	px := drovertest.StartProxy(t, drovertest.Addr())
	st1 := drovertest.OpenStoreFor(t, px.Addr(), root, timeout)
	sess, err := st1.CurrentSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	px.DropRepliesAfter([]byte("/election/n_"))
	_, stop1 := runScheduler(t, st1, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1's znode made, its reply lost", func() bool {
		kids, err := st.Children(dir)
		return err == nil && len(kids) == 2 && px.Dropping()
	})
	px.Cut(true)
	drovertest.WaitFor(t, 5*time.Second, "st1 disconnected", func() bool { up, _ := st1.Connected(); return !up })
	stop1() // s1's Run returns
	px.Cut(false)
	drovertest.WaitFor(t, timeout, "st1 back on its session", func() bool {
		up, _ := st1.Connected()
		cur, err := st1.CurrentSession(context.Background())
		return up && err == nil && cur == sess
	})
	s2, _ := runScheduler(t, st, "s2")
	drovertest.WaitFor(t, 10*time.Second, "s2 in line", func() bool {
		line, _ := st.Candidates()
		for _, c := range line {
			if c.Info.ID == "s2" {
				return true
			}
		}
		return false
	})
	stop0() // s0 resigns: s2 is the only scheduler running
	if !drovertest.Eventually(2*timeout, s2.IsLeader) {
		kids, _ := st.Children(dir)
		t.Fatalf("s0 resigned and s1 stopped: no scheduler leads %v later; election line %v "+
			"(s1's znode, whose create lost its reply as s1 stopped, left in line by its open store)", 2*timeout, kids)
	}
}
