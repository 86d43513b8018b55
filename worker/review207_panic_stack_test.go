package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review207PanickingHandler panics from a frame of its own name, which the
// attempt's stderr should show.
func review207PanickingHandler(context.Context, *Task) ([]byte, error) {
	var m map[string]int
	m["boom"]++ // assignment to entry in nil map
	return nil, nil
}

// A handler that panics fails its attempt, exit 2, with the panic's value
// in the error: and, as a Go program that panics prints it, with the
// goroutine's stack on its stderr (drover logs ID), so that whoever reads
// the result can find the line. Only the value was kept: "handler panicked:
// assignment to entry in nil map", with no stack in the result nor in the
// worker's log.
func TestHandlerPanicKeepsItsStackInStderr(t *testing.T) {
	w := &Worker{cfg: Config{Now: time.Now, OutputLimit: store.OutputTail}, log: drovertest.Logger(t)}
	_ = w.Handle("panicky", HandlerFunc(review207PanickingHandler))
	out := w.runHandler(context.Background(), &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Handler: "panicky"})
	if out.ExitCode != 2 || !strings.Contains(out.Err, "assignment to entry in nil map") {
		t.Fatalf("exit %d, error %q; want exit 2 and the panic's value", out.ExitCode, out.Err)
	}
	if !strings.Contains(out.Stderr, "panic: assignment to entry in nil map") ||
		!strings.Contains(out.Stderr, "review207PanickingHandler") {
		t.Fatalf("stderr %q: want the panic and its stack, naming the handler's frame", out.Stderr)
	}
}
