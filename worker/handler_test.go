package worker

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A handler that ignores its context does not hold its attempt: on the task's
// timeout, or on cancel, the attempt ends after handlerGrace without it. The
// worker counts such handlers until they return.
func TestHandlerIgnoringContextIsAbandoned(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	releaseAll := func() { once.Do(func() { close(release) }) }
	defer releaseAll()
	w := &Worker{cfg: Config{Now: time.Now, OutputLimit: store.OutputTail}, log: drovertest.Logger(t)}
	_ = w.Handle("stuck", HandlerFunc(func(context.Context, *Task) ([]byte, error) {
		<-release
		return nil, nil
	}))

	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Handler: "stuck", Timeout: store.MillisOf(100 * time.Millisecond)}
	out := w.runHandler(context.Background(), task)
	if out.ExitCode != -1 || !strings.HasPrefix(out.Err, "timeout after") {
		t.Fatalf("past its timeout: %+v", out)
	}

	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan outcome, 1)
	go func() { ended <- w.runHandler(ctx, &store.Task{ID: task.ID, Attempt: 1, Handler: "stuck"}) }()
	cancel()
	select {
	case out := <-ended:
		if out.ok() {
			t.Fatalf("a cancelled attempt ended ok: %+v", out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled attempt waited for its handler")
	}
	if n := w.abandoned.Load(); n != 2 {
		t.Fatalf("%d handlers counted abandoned, want 2", n)
	}
	releaseAll()
	drovertest.WaitFor(t, 10*time.Second, "the abandoned handlers' count back to 0 once they return", func() bool { return w.abandoned.Load() == 0 })
}

// nilReceiverErr's Error reads its receiver: a typed nil of it panics there.
type nilReceiverErr struct{ msg string }

func (e *nilReceiverErr) Error() string { return e.msg }

// goexitOnText ends the goroutine that formats it.
type goexitOnText struct{}

func (goexitOnText) Error() string { runtime.Goexit(); return "" }

// goexitErr ends the goroutine that asks errors.Is about it.
type goexitErr struct{}

func (goexitErr) Error() string { return "goexit" }
func (goexitErr) Is(error) bool { runtime.Goexit(); return false }

// An error a handler returns is read in the handler's goroutine, under its
// recover: a typed nil whose Error panics used to crash the worker (and
// every worker the task was placed on again).
func TestHandlerErrorThatPanicsFailsTheAttempt(t *testing.T) {
	w := &Worker{cfg: Config{Now: time.Now, OutputLimit: store.OutputTail}, log: drovertest.Logger(t)}
	_ = w.Handle("typednil", HandlerFunc(func(context.Context, *Task) ([]byte, error) {
		var e *nilReceiverErr
		return nil, e
	}))
	_ = w.Handle("panicky", HandlerFunc(func(context.Context, *Task) ([]byte, error) { panic("boom") }))
	_ = w.Handle("goexit", HandlerFunc(func(context.Context, *Task) ([]byte, error) { runtime.Goexit(); return nil, nil }))
	_ = w.Handle("goexit-in-is", HandlerFunc(func(context.Context, *Task) ([]byte, error) { return nil, goexitErr{} }))
	_ = w.Handle("panic-goexit", HandlerFunc(func(context.Context, *Task) ([]byte, error) { panic(goexitOnText{}) }))
	for name, want := range map[string]int{"typednil": 1, "panicky": 2, "goexit": 2, "goexit-in-is": 2, "panic-goexit": 2} {
		out := w.runHandler(context.Background(), &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Handler: name})
		if out.ExitCode != want || out.Err == "" {
			t.Errorf("%s: exit %d, error %q; want exit %d and an error", name, out.ExitCode, out.Err, want)
		}
	}
}

// A handler's error of any length leaves a result: it is clipped. One of a
// MiB made the result too large to write, and the task stayed running.
func TestHugeHandlerErrorIsClipped(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := runHandler(t, root, 0, "big", HandlerFunc(func(context.Context, *Task) ([]byte, error) {
		return nil, errors.New(strings.Repeat("é", 1<<19))
	}))
	task := &store.Task{Handler: "big"}
	assign(t, st, w, task)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := st.WaitResult(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.StateFailed || len(got.Error) > store.MaxResultError || !strings.HasSuffix(got.Error, "é…") {
		t.Fatalf("result %s with an error of %d bytes ending %q", got.State, len(got.Error), got.Error[max(0, len(got.Error)-8):])
	}
}
