package worker

import (
	"context"
	"fmt"
	"runtime"
	"strings"
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
	// In full race runs on two busy cores the client was, three times,
	// not back after 60 s: not connected, and no connection of its at the
	// server (alone it is back in a second or two). Unexplained; what this
	// test is about is the grant, so after 20 s the proxy's connections
	// are cut (the client then dials again), and where the client stood is
	// logged for whoever looks next.
	nudged := false
	for deadline := time.Now().Add(20 * time.Second); wst.GrantedSessionTimeout() != 6*time.Second; {
		if time.Now().After(deadline) {
			state := reconnectState(wst, srv2)
			if nudged {
				t.Fatalf("granted %v after a cut and 40 s, want 6s; %s", wst.GrantedSessionTimeout(), state)
			}
			t.Logf("not reconnected after 20 s, cutting the proxy's connections; %s", state)
			px.Cut(true)
			px.Cut(false)
			nudged, deadline = true, time.Now().Add(40*time.Second)
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

// reconnectState says where a store's reconnect to srv stands: connected or
// not, the server's connections, and the ZooKeeper client's goroutines.
func reconnectState(st *store.Store, srv *zkserver.Server) string {
	connected, _ := st.Connected()
	cons, err := zkserver.FourLetter(srv.Addr(), "cons")
	buf := make([]byte, 1<<20)
	var zkStacks []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "go-zookeeper") {
			zkStacks = append(zkStacks, g)
		}
	}
	return fmt.Sprintf("connected %v, server running %v; its connections (%v):\n%s\nclient goroutines:\n%s",
		connected, srv.Running(), err, cons, strings.Join(zkStacks, "\n\n"))
}
