package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/rs/zerolog"
)

// A handler's output is kept as a command's stdout is: text. UTF-8 comes
// back byte for byte; bytes that are not UTF-8 (a PNG returned as is) come
// back as U+FFFD, as the record's JSON keeps strings, and the result stays
// readable. Binary-safe outputs would need a new field in the record
// format; README and the HandlerFunc doc say to return binary results
// encoded, or where they were put.
func TestHandlerOutputIsText(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	png := []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0x00, 0xff, 0xfe, 0x80}
	text := "größe: 640×480 ✓\n"
	w := runHandler(t, root, 0, "resize", HandlerFunc(func(_ context.Context, t *Task) ([]byte, error) {
		switch string(t.Payload) {
		case "png":
			return png, nil
		case "long":
			return []byte(strings.Repeat("€", 30000)), nil
		}
		return []byte(text), nil
	}))
	for _, c := range []struct{ payload, want string }{
		{"text", text},
		{"png", string([]rune(string(png)))}, // each byte that is not UTF-8 becomes U+FFFD
		// Its last 64 KiB start inside a € (3 bytes): the tail starts at
		// the next whole one, where it started with a U+FFFD.
		{"long", strings.Repeat("€", store.OutputTail/3)},
	} {
		task := &store.Task{Handler: "resize", Payload: []byte(c.payload)}
		assign(t, st, w, task)
		got := result(t, st, task.ID)
		if got.State != store.StateSucceeded || got.Stdout != c.want {
			t.Fatalf("%s: state %s, output %q, want %q", c.payload, got.State, got.Stdout, c.want)
		}
	}
}

// A task's timeout bounds its attempt: a command still running at the
// timeout is killed and the attempt fails ("timeout after"). A handler
// that ignores its context and returns success within handlerGrace after
// the timeout is recorded as a success instead, though it ran past it.
func TestHandlerReturningAfterItsTimeoutTimesOut(t *testing.T) {
	w := &Worker{cfg: Config{Now: time.Now, OutputLimit: store.OutputTail}, log: drovertest.Logger(t)}
	_ = w.Handle("late", HandlerFunc(func(ctx context.Context, _ *Task) ([]byte, error) {
		<-ctx.Done()
		time.Sleep(handlerGrace / 4) // the work it did not stop
		return []byte("done late"), nil
	}))
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Handler: "late", Timeout: store.MillisOf(50 * time.Millisecond)}
	out := w.runHandler(context.Background(), task)
	if out.ok() {
		t.Fatalf("ran %v with a timeout of %v, and ended ok: %+v", out.Ended.Sub(out.Started), task.Timeout.Duration(), out)
	}
}

// Handle takes a nil Handler: the worker then advertises the handler, the
// leader places its tasks here, and every attempt fails with exit 127 ("no
// handler"), retries too. net/http's Handle panics on nil; this one returns
// errors for bad input, and returns none.
func TestHandleRefusesANilHandler(t *testing.T) {
	w := &Worker{cfg: Config{Now: time.Now, OutputLimit: store.OutputTail}, log: drovertest.Logger(t)}
	if err := w.Handle("resize", nil); err == nil {
		t.Errorf("Handle of a nil Handler: no error; advertised handlers %v", w.handlerNames())
	}
	if err := w.Handle("resize2", HandlerFunc(nil)); err == nil {
		t.Errorf("Handle of a nil HandlerFunc: no error; advertised handlers %v", w.handlerNames())
	}
}

// An attempt's error can carry the user's text: a command not found is
// named in it, and a name can be 200 KB. The log line of the attempt
// carries the error clipped, as the record does, where it carried it whole.
func TestLongAttemptErrorIsClippedInTheLog(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	var logs drovertest.LogBuffer
	w, err := New(Config{ID: "w1", Commands: true, Store: openExtra(t, root), Log: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	task := &store.Task{Cmd: []string{strings.Repeat("x", 200<<10)}}
	assign(t, st, w, task)
	if got := result(t, st, task.ID); got.State != store.StateFailed || len(got.Error) > store.MaxResultError+len("…") {
		t.Fatalf("state %s, error of %d bytes", got.State, len(got.Error))
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if len(line) > 2*store.MaxResultError {
			t.Fatalf("a log line of %d bytes: %.200s…", len(line), line)
		}
	}
}
