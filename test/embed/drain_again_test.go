package embed

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/worker"
)

// Worker.Drain's doc: "A drain is for good: Run, called again on a drained
// Worker, registers nothing and returns nil". Run returns nil, but it
// registers first: serve starts register while the goroutine that would
// cut it short on the drain is still to run, and CurrentSession does not
// look at a context already ended, so the registration is made (Reg
// changes, Registered closes), the directory listed, and only then is the
// drain begun again and the registration deleted. While it stands the
// leader may place a queued task on it, which the drained Worker then
// runs: in a probe with a leader and one queued handler task, 300 Runs of
// a drained Worker ran that task once.
func TestDrainedWorkerRunAgainRegistersNothing(t *testing.T) {
	st := openStore(t)
	w, err := worker.New(worker.Config{ID: "w1", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("h", worker.HandlerFunc(func(context.Context, *worker.Task) ([]byte, error) { return nil, nil })); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(context.Background()) }()
	select {
	case <-w.Registered():
	case <-time.After(20 * time.Second):
		t.Fatal("the worker did not register")
	}
	w.Drain()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("Run, drained: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("an idle worker's drain did not end")
	}
	first := w.Reg()
	const runs = 20
	registered := 0
	for range runs {
		before := w.Reg()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := w.Run(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Run again on a drained Worker: %v", err)
		}
		if w.Reg() != before {
			registered++
		}
	}
	if registered > 0 {
		t.Fatalf("%d of %d Runs of a drained Worker registered it (its registration %d became %d)", registered, runs, first, w.Reg())
	}

	// Drained before its first Run: Registered must not close.
	fresh, err := worker.New(worker.Config{ID: "w2", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.Handle("h", worker.HandlerFunc(func(context.Context, *worker.Task) ([]byte, error) { return nil, nil })); err != nil {
		t.Fatal(err)
	}
	fresh.Drain()
	if err := fresh.Run(context.Background()); err != nil {
		t.Fatalf("Run on a Worker drained before it ran: %v", err)
	}
	select {
	case <-fresh.Registered():
		t.Fatalf("a Worker drained before its first Run registered (%d)", fresh.Reg())
	default:
	}
}
