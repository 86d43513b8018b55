package worker

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A worker that stops while disconnected from ZooKeeper, before its cut-off
// (a drain whose deadline comes, or Run's context cancelled, a few seconds
// into the outage), returned with its killed attempt marked running under a
// registration that lived on once the link came back within the session:
// serve's deferred deregister ran at once, while disconnected, failed, and
// only a cut-off waited for the link. The leader took the worker for alive
// and never placed that attempt again. Now the deletion waits for the link
// in the background, Run returning at once. (Found by review.)
func TestStopWhileDisconnectedLeavesNoRegistrationOnALiveSession(t *testing.T) {
	for _, how := range []string{"drain-timeout", "cancel"} {
		t.Run(how, func(t *testing.T) {
			const timeout = 15 * time.Second // a wide window before the cut-off and the expiry
			root := drovertest.NewRoot()
			px := drovertest.StartProxy(t, drovertest.Addr())
			wst := drovertest.OpenStoreFor(t, px.Addr(), root, timeout)
			w, err := New(Config{ID: "w1", Commands: true, Store: wst, DrainTimeout: time.Second, Log: drovertest.Logger(t)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancelRun := context.WithCancel(context.Background())
			defer cancelRun()
			ran := make(chan error, 1)
			go func() { ran <- w.Run(ctx) }()
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
			if how == "drain-timeout" {
				w.Drain()
				drovertest.WaitFor(t, 10*time.Second, "registration marked draining", func() bool {
					e, err := leader.Worker("w1")
					return err == nil && e.Info.Draining
				})
			}
			px.Cut(true)
			drovertest.WaitFor(t, 10*time.Second, "the worker's store disconnected", func() bool {
				ok, _ := wst.Connected()
				return !ok
			})
			if how == "cancel" {
				cancelRun()
			}
			// The drain's deadline (1 s) or the cancel stops the worker well
			// before its cut-off (5/6 of 15 s): the attempt is killed.
			drovertest.WaitFor(t, 10*time.Second, "the attempt killed", func() bool { return syscall.Kill(pid, 0) != nil })
			select {
			case err := <-ran:
				if err != nil {
					t.Fatalf("run: %v", err)
				}
			case <-time.After(timeout / 2):
				t.Fatal("the worker did not stop before its cut-off")
			}
			px.Cut(false)
			cctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			now, err := wst.CurrentSession(cctx)
			if err != nil {
				t.Fatal(err)
			}
			if now != sess {
				t.Skip("the session expired before the link came back: nothing left to check")
			}
			drovertest.WaitFor(t, 10*time.Second, "the registration of the stopped worker gone", func() bool {
				return !exists(t, leader, leader.Layout().Worker("w1"))
			})
		})
	}
}
