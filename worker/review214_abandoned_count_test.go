package worker

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The count of abandoned handlers (Stats.Abandoned, the gauge
// drover_worker_handlers_abandoned) must never go below 0. runHandler
// settled a handler's fate as abandoned and only then counted it: a
// handler returning in between (just past its grace) took its count off
// first, and the gauge read -1. (review214)
func TestAbandonedCountNeverNegative(t *testing.T) {
	release := make(chan struct{})
	w := &Worker{cfg: Config{Now: time.Now, OutputLimit: store.OutputTail}, log: drovertest.Logger(t)}
	_ = w.Handle("late", HandlerFunc(func(context.Context, *Task) ([]byte, error) {
		<-release
		return nil, nil
	}))
	const id = "01JAAAAAAAAAAAAAAAAAAAAAAB"
	var seen atomic.Int64
	hook := func(got string) {
		if got != id {
			return
		}
		// The handler returns just as it is abandoned.
		before := w.abandoned.Load()
		close(release)
		drovertest.WaitFor(t, 10*time.Second, "the handler's goroutine to end", func() bool { return w.abandoned.Load() != before })
		seen.Store(w.abandoned.Load())
	}
	testHookAbandoned.Store(&hook)
	t.Cleanup(func() { testHookAbandoned.Store(nil) })
	w.runHandler(context.Background(), &store.Task{ID: id, Attempt: 1, Handler: "late", Timeout: store.MillisOf(10 * time.Millisecond)})
	if n := seen.Load(); n < 0 {
		t.Errorf("abandoned handlers counted %d while one returned as it was abandoned; want never below 0", n)
	}
	if n := w.abandoned.Load(); n != 0 {
		t.Errorf("abandoned handlers counted %d once all returned, want 0", n)
	}
}

// A handler that panics, or ends its goroutine, after it was abandoned
// is no longer counted. (review214)
func TestAbandonedHandlerPanicOrGoexitUncounted(t *testing.T) {
	release := make(chan struct{})
	w := &Worker{cfg: Config{Now: time.Now, OutputLimit: store.OutputTail}, log: drovertest.Logger(t)}
	_ = w.Handle("panics", HandlerFunc(func(context.Context, *Task) ([]byte, error) {
		<-release
		panic("late")
	}))
	_ = w.Handle("exits", HandlerFunc(func(context.Context, *Task) ([]byte, error) {
		<-release
		runtime.Goexit()
		return nil, nil
	}))
	ended := make(chan outcome, 2)
	for i, h := range []string{"panics", "exits"} {
		id := "01JAAAAAAAAAAAAAAAAAAAAAA" + string(rune('C'+i))
		go func() {
			ended <- w.runHandler(context.Background(), &store.Task{ID: id, Attempt: 1, Handler: h, Timeout: store.MillisOf(10 * time.Millisecond)})
		}()
	}
	for range 2 {
		if out := <-ended; out.ExitCode != -1 {
			t.Errorf("an abandoned handler's attempt: %+v, want a timeout", out)
		}
	}
	if n := w.abandoned.Load(); n != 2 {
		t.Fatalf("%d handlers counted abandoned, want 2", n)
	}
	close(release)
	drovertest.WaitFor(t, 10*time.Second, "the abandoned handlers' count back to 0 once they panic or exit", func() bool { return w.abandoned.Load() == 0 })
}
