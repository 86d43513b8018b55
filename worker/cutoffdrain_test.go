package worker

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestDrainCutOffLeavesNoRegistrationOnALiveSession: a draining worker cut
// off from ZooKeeper until its session may expire kills its attempts and
// Run returns. When the link came back before the server expired the
// session, the registration stayed, on the open store, with the killed
// attempt marked running under it: the leader never placed that attempt
// again (its worker looked alive), and nothing ran it. Run now deletes it
// once back, before it returns. (Found by review.)
func TestDrainCutOffLeavesNoRegistrationOnALiveSession(t *testing.T) {
	const timeout = 15 * time.Second // a wide window between the cut-off and the expiry
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	wst := drovertest.OpenStoreFor(t, px.Addr(), root, timeout)
	w, err := New(Config{ID: "w1", Commands: true, Store: wst, DrainTimeout: time.Minute, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(context.Background()) }()
	<-w.Registered()
	leader := drovertest.OpenStore(t, root)
	dir := t.TempDir()
	task := &store.Task{Cmd: []string{`echo $$ > ` + dir + `/child.pid; exec sleep 60`}, Shell: true}
	path := assign(t, leader, w, task)
	pid := readPid(t, dir+"/child.pid")
	drovertest.WaitFor(t, 10*time.Second, "assignment marked running", func() bool {
		return assignmentState(t, leader, path) == store.StateRunning
	})
	sess, err := wst.CurrentSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w.Drain()
	drovertest.WaitFor(t, 10*time.Second, "registration marked draining", func() bool {
		e, err := leader.Worker("w1")
		return err == nil && e.Info.Draining
	})

	px.Cut(true)
	// The cut-off kills the attempt; the link comes back before the server
	// expires the session.
	drovertest.WaitFor(t, 2*timeout, "the attempt killed at the cut-off", func() bool { return syscall.Kill(pid, 0) != nil })
	px.Cut(false)
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(2 * timeout):
		t.Fatal("the cut-off did not end the draining worker")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	now, err := wst.CurrentSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if now != sess {
		t.Skip("the session expired before the link came back: nothing left to check")
	}
	drovertest.WaitFor(t, 10*time.Second, "the registration of the drained worker gone", func() bool {
		return !exists(t, leader, leader.Layout().Worker("w1"))
	})
}
