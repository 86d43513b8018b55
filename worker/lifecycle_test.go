package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A second Run of one Worker while the first runs (a program that starts it
// twice by mistake) must be refused with an error (ErrRunning). It was not:
// both served the one id on one session, the second ended the first's
// registration ("ending the registration of an earlier serve") and
// registered again, the two loops shared the worker's batcher and counters
// unsynchronised (the race detector reported a write in serve against a
// read in the other serve's goroutine), and the first's attempts were left
// to the leader. (Found by review.)
func TestWorkerSecondRunAtOnceIsRefused(t *testing.T) {
	w := runHandler(t, drovertest.NewRoot(), 0, "upper", noop)
	reg := w.Reg()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second := make(chan error, 1)
	go func() { second <- w.Run(ctx) }()
	select {
	case err := <-second:
		if err == nil {
			t.Fatal("a second Run while the first runs returned no error")
		}
	case <-time.After(5 * time.Second):
		cancel()
		<-second
		t.Fatalf("a second Run while the first runs was not refused; registration %d became %d", reg, w.Reg())
	}
	if w.Reg() != reg {
		t.Fatalf("a refused second Run changed the registration: %d to %d", reg, w.Reg())
	}
}

// Handle's doc says to call it before Run; called after (`go w.Run(ctx)`
// then Handle, an easy order to write), it must return an error
// (ErrRunning). It returned nil, though the handler was never advertised
// (the registration was made) and the leader placed none of its tasks
// here, and it wrote the handler map serve reads unsynchronised.
// (Found by review.)
func TestHandleAfterRunIsRefused(t *testing.T) {
	root := drovertest.NewRoot()
	w := runHandler(t, root, 0, "upper", noop)
	if err := w.Handle("lower", noop); err == nil {
		reg, rerr := drovertest.OpenStore(t, root).Worker("go")
		if rerr != nil {
			t.Fatal(rerr)
		}
		t.Fatalf("Handle after Run returned no error; the registration advertises %v", reg.Info.Handlers)
	}
}

// Two Workers of one id on one Store (a program that makes a Worker per
// handler, naming each after its host) must not both serve the id: the
// second waits for the id as it does when another session holds it, and
// registers once the first's Run has ended. It did not: the second's create
// of the registration met the first's, owned by the same session, and
// CreateEphemeral took it for its own. The second then served the first's
// registration, which advertised the first's handlers only: it took the
// first's tasks off the shared directory and failed them, exit 127 "no
// handler", while its own handler's tasks were never placed, and neither
// Run reported anything. A third, drained while it waits, must not delete
// the first's registration as a create of its own that may have landed.
// (Found by review.)
func TestSecondWorkerOfAnIDOnOneStoreDoesNotTakeTheFirstsRegistration(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	shared := openExtra(t, root)
	worker := func(handler string) *Worker {
		w, err := New(Config{ID: "host1", Store: shared, Log: drovertest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Handle(handler, HandlerFunc(func(context.Context, *Task) ([]byte, error) { return []byte(handler), nil })); err != nil {
			t.Fatal(err)
		}
		return w
	}
	// succeeds assigns a task of handler to w and checks it succeeds.
	succeeds := func(w *Worker, handler string) {
		t.Helper()
		task := &store.Task{Handler: handler}
		assign(t, st, w, task)
		if got := result(t, st, task.ID); got.State != store.StateSucceeded || got.Stdout != handler {
			t.Fatalf("task of handler %s on registration %d: %s %q (%s)", handler, w.Reg(), got.State, got.Stdout, got.Error)
		}
	}
	a := worker("a")
	stopA := runWorker(t, a)
	first := a.Reg()
	b := worker("b")
	stopB := drovertest.Run(t, "worker b", b.Run)
	select {
	case <-b.Registered():
		if b.Reg() != first {
			t.Fatalf("a second Worker of id host1 on the same Store registered %d while the first's %d stood", b.Reg(), first)
		}
		failed := 0
		for range 8 {
			task := &store.Task{Handler: "a"}
			assign(t, st, a, task)
			if got := result(t, st, task.ID); got.State != store.StateSucceeded {
				failed++
			}
		}
		stopB()
		t.Fatalf("a second Worker of id host1 on the same Store took the first's registration %d: %d of 8 tasks of handler a, assigned to it, failed %q",
			first, failed, `no handler "a" on this worker`)
	case <-time.After(5 * time.Second): // waits for the id, as for another session's registration
	}
	succeeds(a, "a")

	c := worker("c")
	c.Drain()
	if err := c.Run(context.Background()); err != nil {
		t.Fatalf("a third Worker of the id, drained while waiting: %v", err)
	}
	if reg, err := st.Worker("host1"); err != nil || reg.Reg != first {
		t.Fatalf("after a third Worker of the id was drained while waiting, the registration is %+v (%v), want the first's, %d", reg, err, first)
	}

	stopA()
	select {
	case <-b.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("the second Worker of the id did not register once the first had stopped")
	}
	if b.Reg() == first {
		t.Fatalf("the second Worker serves the first's registration %d", first)
	}
	succeeds(b, "b")
}
