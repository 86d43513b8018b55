package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A handler that ignores its context does not hold its attempt: on the task's
// timeout, or on cancel, the attempt ends after handlerGrace without it.
func TestHandlerIgnoringContextIsAbandoned(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
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
}
