package worker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

// ensembleSession is the worker's session timeout in these tests: long
// enough that a move with a leader election in it (the member stopped may
// be the ensemble's leader) stays well within it, so that the session, its
// registration and its directory's watch all live through the move.
const ensembleSession = 15 * time.Second

// ensembleWorker is a worker whose store lists every member of ens, each
// through a proxy of its own (px[i] forwards to member i), so that a test
// can choose which members the worker may reach by cutting proxies, while
// the client sees all of them as its servers.
type ensembleWorker struct {
	w   *Worker
	st  *store.Store
	px  []*drovertest.Proxy
	ens *zkserver.Ensemble
}

// startEnsembleWorker starts a worker connected to member first only (the
// other members' proxies are cut) and waits for its first listing.
func startEnsembleWorker(t *testing.T, ens *zkserver.Ensemble, root string, first int) *ensembleWorker {
	t.Helper()
	ew := &ensembleWorker{ens: ens}
	var addrs []string
	for i, m := range ens.Servers() {
		px := drovertest.StartProxy(t, m.Addr())
		if i != first {
			px.Cut(true)
		}
		ew.px = append(ew.px, px)
		addrs = append(addrs, px.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: addrs, Root: root, SessionTimeout: ensembleSession})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	ew.st = st
	ew.w, err = New(Config{ID: "w1", Commands: true, Store: st, Log: drovertest.Logger(t),
		Backoff: Backoff{Base: 50 * time.Millisecond, Max: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, ew.w)
	drovertest.WaitFor(t, 10*time.Second, "first listing", func() bool { return ew.w.listings.Load() > 0 })
	if at := ew.member(t); at != first {
		t.Fatalf("worker on member %d, want %d", at, first)
	}
	return ew
}

// same fails t unless the worker still has registration reg in session
// sid: it moved, and did not register again.
func (ew *ensembleWorker) same(t *testing.T, reg, sid int64) {
	t.Helper()
	if ew.w.Reg() != reg || ew.session(t) != sid {
		t.Fatalf("registration %d session %x after the move, were %d %x", ew.w.Reg(), ew.session(t), reg, sid)
	}
}

// session is the worker store's session id.
func (ew *ensembleWorker) session(t *testing.T) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, err := ew.st.CurrentSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return sess.ID()
}

// member is the index of the member that holds the worker's session's
// connection (from each running member's "cons"), or -1.
func (ew *ensembleWorker) member(t *testing.T) int {
	t.Helper()
	sid := fmt.Sprintf("sid=0x%x,", ew.session(t))
	for i, m := range ew.ens.Servers() {
		if !m.Running() {
			continue
		}
		if cons, err := zkserver.FourLetter(m.Addr(), "cons"); err == nil && strings.Contains(cons, sid) {
			return i
		}
	}
	return -1
}

// leave stops member from (which holds the worker's connection) and waits
// until the worker is disconnected and the rest of the ensemble serves
// again. The worker's proxies stay as they are: it stays away while they
// are cut.
func (ew *ensembleWorker) leave(t *testing.T, from int) {
	t.Helper()
	srvr, _ := zkserver.FourLetter(ew.ens.Servers()[from].Addr(), "srvr")
	t.Logf("stopping member %d (%s), which holds the worker's connection", from, zkserver.Mode(srvr))
	if err := ew.ens.Servers()[from].Halt(); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "worker disconnected", func() bool { c, _ := ew.st.Connected(); return !c })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ew.ens.WaitReady(ctx); err != nil {
		t.Fatalf("ensemble without member %d: %v", from, err)
	}
}

// arrive lets the worker reach the members to only (the other proxies are
// cut, so a member restarted later is not reached until a test says so) and
// waits until it is connected to one of them and has listed its directory
// since.
func (ew *ensembleWorker) arrive(t *testing.T, to ...int) int {
	t.Helper()
	listed := ew.w.listings.Load()
	open := map[int]bool{}
	for _, i := range to {
		open[i] = true
	}
	for i, px := range ew.px {
		px.Cut(!open[i])
	}
	drovertest.WaitFor(t, 20*time.Second, "worker reconnected and listed", func() bool {
		c, _ := ew.st.Connected()
		return c && ew.w.listings.Load() > listed
	})
	at := ew.member(t)
	if !open[at] {
		t.Fatalf("worker on member %d, want one of %v", at, to)
	}
	return at
}

// assignLive is assign on a store of an ensemble that may be electing a
// leader: a commit whose reply was lost counts if its assignment is there.
func assignLive(t *testing.T, st *store.Store, w *Worker) *store.Task {
	t.Helper()
	task := &store.Task{ID: ulid.Make().String(), Attempt: 1, Reg: w.Reg(), Worker: w.cfg.ID, Cmd: []string{"true"}}
	p := st.Layout().Assignment(task.Worker, task.ID, task.Attempt)
	var last error // of the last try
	drovertest.WaitFor(t, 20*time.Second, "assignment committed", func() bool {
		if last = st.EnsureBuckets(task.ID); last != nil {
			return false
		}
		txn := st.Txn()
		if last = txn.Assign(task); last != nil {
			t.Fatal(last)
		}
		if last = txn.Commit(); last == nil {
			return true
		}
		t.Logf("assign %s: %v", task.ID, last)
		ok, _, err := st.Exists(p)
		return err == nil && ok
	})
	return task
}

// ran waits for task's result and checks that it succeeded.
func ran(t *testing.T, st *store.Store, task *store.Task, what string) {
	t.Helper()
	if got := result(t, st, task.ID); got.State != store.StateSucceeded {
		t.Fatalf("%s: state %s: %+v", what, got.State, got)
	}
	t.Logf("%s: ran", what)
}

// A worker keeps one watch on its directory through reconnects, which the
// client sets again on the server it reconnects to. These cases move the
// worker's connection to another member of a 3-member ensemble (its member
// stopped) and check that it sees every assignment: one made while it is
// away, one made once it is back (only the watch tells it of that one), and
// so for several moves in a row.
func TestEnsembleWorkerSeesAssignmentsAcrossMembers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ens, err := zkserver.StartEnsemble(ctx, 3, zkserver.EnsembleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ens.Stop(); err != nil {
			t.Errorf("stop ensemble: %v", err)
		}
	})
	// restartAll brings back a member a case stopped, for the next case.
	restartAll := func(t *testing.T) {
		t.Helper()
		for i, m := range ens.Servers() {
			if !m.Running() {
				if err := ens.Restart(ctx, i); err != nil {
					t.Fatalf("restart member %d: %v", i, err)
				}
			}
		}
		if err := ens.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
	}
	addr := func(i int) string { return ens.Servers()[i].Addr() }

	// The worker is on member 0 and away when the assignment is made (on
	// member 1); then it may reach members 1 and 2.
	t.Run("AssignedWhileAway", func(t *testing.T) {
		defer restartAll(t)
		root := drovertest.NewRoot()
		leader := drovertest.OpenStoreAt(t, addr(1), root)
		ew := startEnsembleWorker(t, ens, root, 0)
		reg, sid := ew.w.Reg(), ew.session(t)
		ew.leave(t, 0)
		task := assignLive(t, leader, ew.w)
		at := ew.arrive(t, 1, 2)
		t.Logf("worker moved from member 0 to member %d", at)
		ran(t, leader, task, "assigned while away")
		ew.same(t, reg, sid)
	})

	// The worker moves from member 0 to member 1 or 2, has listed its
	// directory there, and only then is the assignment made: its watch,
	// set on member 0, must fire on the member it is on now.
	t.Run("AssignedAfterReturn", func(t *testing.T) {
		defer restartAll(t)
		root := drovertest.NewRoot()
		leader := drovertest.OpenStoreAt(t, addr(1), root)
		ew := startEnsembleWorker(t, ens, root, 0)
		reg, sid := ew.w.Reg(), ew.session(t)
		ew.leave(t, 0)
		at := ew.arrive(t, 1, 2)
		t.Logf("worker moved from member 0 to member %d", at)
		task := assignLive(t, leader, ew.w)
		ran(t, leader, task, "assigned after return")
		ew.same(t, reg, sid)
	})

	// Three moves in a row, 0 → 1 → 2 → 0, each member restarted after the
	// worker left it: for each, one assignment while the worker is away and
	// one once it is back. The assignments are made on the third member,
	// which stays up through the move.
	t.Run("SeveralMoves", func(t *testing.T) {
		defer restartAll(t)
		root := drovertest.NewRoot()
		ew := startEnsembleWorker(t, ens, root, 0)
		reg, sid := ew.w.Reg(), ew.session(t)
		for from := range 3 {
			to, other := (from+1)%3, (from+2)%3
			leader := drovertest.OpenStoreAt(t, addr(other), root)
			ew.leave(t, from)
			away := assignLive(t, leader, ew.w)
			ew.arrive(t, to)
			ran(t, leader, away, fmt.Sprintf("move %d→%d, assigned while away", from, to))
			back := assignLive(t, leader, ew.w)
			ran(t, leader, back, fmt.Sprintf("move %d→%d, assigned after return", from, to))
			leader.Close()
			if err := ens.Restart(ctx, from); err != nil {
				t.Fatalf("restart member %d: %v", from, err)
			}
			if err := ens.WaitReady(ctx); err != nil {
				t.Fatal(err)
			}
		}
		ew.same(t, reg, sid)
	})
}
