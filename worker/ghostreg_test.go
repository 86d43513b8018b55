package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A Worker whose Run ends while ZooKeeper is away cannot delete its
// registration ("it ends with the session"); back within the session
// timeout, the session lives on, and so does the registration. A program
// that then runs a new Worker of the id on the same Store (one per
// handler set, a restart after a reconfiguration) should get the id: no
// other Worker of this Store serves it. Once registrations carried a token
// the new Worker took the one left for another live Worker's, and waited
// for it to go, which it never did while the Store was open: the id was
// never served again, and the leader, seeing it registered, placed tasks
// on it that nothing ran. A Worker now waits only for a registration
// whose token a running Worker of the Store holds. (Found by review.)
func TestNewWorkerTakesTheRegistrationAnEndedWorkerLeftOnItsStore(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	// A session that outlives the cut below by far.
	st := drovertest.OpenStoreFor(t, px.Addr(), root, 10*time.Second)
	leader := openExtra(t, root)
	worker := func() *Worker {
		w, err := New(Config{ID: "host1", Commands: true, Store: st, Log: drovertest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	a := worker()
	stopA := runWorker(t, a)
	sess, err := st.CurrentSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first := a.Reg()
	px.Cut(true)
	stopA() // its registration's delete fails: ZooKeeper is away
	px.Cut(false)
	if again, err := st.CurrentSession(context.Background()); err != nil || again != sess {
		t.Fatalf("session after the cut: %v (%v), want the one before: the registration should live on", again, err)
	}
	if reg, err := leader.Worker("host1"); err != nil || reg == nil || reg.Reg != first {
		t.Fatalf("registration after the first Worker ended while away: %+v (%v), want its own, %d, left behind", reg, err, first)
	}

	b := worker()
	drovertest.Run(t, "worker b", b.Run)
	select {
	case <-b.Registered():
	case <-time.After(20 * time.Second):
		reg, _ := leader.Worker("host1")
		t.Fatalf("a new Worker of id host1 on the Store did not register in 20s: it waits for the registration %+v the ended Worker left, which ends only with the session", reg)
	}
	task := &store.Task{Cmd: []string{"echo", "b"}}
	assign(t, leader, b, task)
	if got := result(t, leader, task.ID); got.State != store.StateSucceeded {
		t.Fatalf("a task on the new Worker's registration %d: %s (%s)", b.Reg(), got.State, got.Error)
	}
}
