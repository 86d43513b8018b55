package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A drain must reach the leader: it stops placing on a worker only once
// the registration says draining (ARCHITECTURE "Draining"; README: SIGTERM
// drains it, no new work). markDraining is written once, from a goroutine
// of its own, and a failure is only logged ("cannot mark registration
// draining"): a connection blip under that one request (the session lives
// on) leaves the registration unmarked for the whole drain, so the leader
// keeps placing new work on the worker, which starts it (serve starts every
// assignment listed, draining or not) and kills it at the drain's deadline
// as lost.
func TestDrainMarkSurvivesAConnectionBlip(t *testing.T) {
	const timeout = 15 * time.Second
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	wst := drovertest.OpenStoreFor(t, px.Addr(), root, timeout)
	w, err := New(Config{ID: "w1", Commands: true, Store: wst, DrainTimeout: time.Minute, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "worker w1", w.Run)
	<-w.Registered()
	leader := drovertest.OpenStore(t, root)
	// A running attempt keeps the draining worker from exiting at once.
	path := assign(t, leader, w, &store.Task{Cmd: []string{"sleep", "60"}})
	drovertest.WaitFor(t, 10*time.Second, "assignment marked running", func() bool {
		return assignmentState(t, leader, path) == store.StateRunning
	})
	sess, err := wst.CurrentSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// The drain's read of the registration is lost with its connection;
	// the client connects again at once, on the same session.
	px.FreezeAt([]byte(wst.Layout().Worker("w1")))
	w.Drain()
	drovertest.WaitFor(t, 10*time.Second, "the drain's request sent", px.Frozen)
	px.Cut(true)
	px.Cut(false)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if now, err := wst.CurrentSession(ctx); err != nil || now != sess {
		t.Skipf("the session did not survive the blip (%v): nothing to check", err)
	}

	drovertest.WaitFor(t, 20*time.Second, "registration marked draining after the blip", func() bool {
		e, err := leader.Worker("w1")
		return err == nil && e != nil && e.Info.Draining
	})
}
