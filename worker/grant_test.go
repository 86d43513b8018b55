package worker

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

// The server may grant a shorter timeout on a reconnect (another member of
// the ensemble, or one restarted, with a lower maxSessionTimeout): the
// cut-off follows it. The watch slept until the deadline it had reckoned
// with the old grant, and the attempt ran on 17 s past the expiry
// (helper-22).
func TestCutOffFollowsAShorterGrant(t *testing.T) {
	dir := t.TempDir()
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := zkserver.Start(context.Background(), zkserver.Config{Port: port, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Halt() }()
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, srv.Addr())
	wst := drovertest.OpenStoreFor(t, px.Addr(), root, 30*time.Second)
	w, err := New(Config{ID: "w1", Commands: true, Store: wst, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	if g := wst.GrantedSessionTimeout(); g != 30*time.Second {
		t.Fatalf("granted %v", g)
	}
	// The server comes back (same data) with a lower bound: the session
	// lives on, with 6s.
	if err := srv.Halt(); err != nil {
		t.Fatal(err)
	}
	srv2, err := zkserver.Start(context.Background(), zkserver.Config{Port: port, DataDir: dir, MaxSessionTimeout: 6 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv2.Halt() }()
	// (A reconnect to a server just started took over 20 s once, in a
	// full race run on two busy cores.)
	for deadline := time.Now().Add(60 * time.Second); wst.GrantedSessionTimeout() != 6*time.Second; {
		if time.Now().After(deadline) {
			// It failed so twice in full race runs, never alone: say
			// where the reconnect stands.
			connected, _ := wst.Connected()
			cons, err := zkserver.FourLetter(srv2.Addr(), "cons")
			t.Fatalf("granted %v after 60s, want 6s; worker connected %v, server running %v; its connections (%v):\n%s",
				wst.GrantedSessionTimeout(), connected, srv2.Running(), err, cons)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, as WaitFor does
	}
	leader := drovertest.OpenStoreFor(t, srv2.Addr(), root, 10*time.Second)
	tdir := t.TempDir()
	task := &store.Task{Cmd: []string{`echo $$ > ` + tdir + `/child.pid; exec sleep 60`}, Shell: true}
	path := assign(t, leader, w, task)
	pid := readPid(t, tdir+"/child.pid")
	drovertest.WaitFor(t, 10*time.Second, "assignment marked running", func() bool {
		return assignmentState(t, leader, path) == store.StateRunning
	})
	px.Freeze()
	frozen := time.Now()
	drovertest.WaitFor(t, 20*time.Second, "registration expired", func() bool {
		return !exists(t, leader, leader.Layout().Worker("w1"))
	})
	expired := time.Now()
	t.Logf("session expired %v after the freeze", expired.Sub(frozen).Round(time.Millisecond))
	drovertest.WaitFor(t, 40*time.Second, "attempt killed", func() bool { return syscall.Kill(pid, 0) != nil })
	if late := time.Since(expired); late > 3*time.Second {
		t.Fatalf("the attempt ran on %v after its session expired (and the leader placed it again)", late.Round(time.Millisecond))
	}
	px.Cut(true)
}
