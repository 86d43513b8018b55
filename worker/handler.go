package worker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/drover-sched/drover/store"
)

// Task is what a Go handler sees of the attempt it runs.
type Task struct {
	ID      string
	Name    string
	Attempt int
	Payload []byte
	Env     map[string]string
}

// Handler runs a task in the worker's own process, instead of a command.
// ProcessTask must return soon after ctx ends (the task's timeout, its
// withdrawal, the worker stopping). One that does not is abandoned: the
// attempt ends as if it had returned (a timeout is recorded as one), the
// worker goes on without it, and its goroutine runs on unseen.
type Handler interface {
	ProcessTask(ctx context.Context, t *Task) ([]byte, error)
}

// HandlerFunc adapts a function to Handler. Its output is kept like a
// command's stdout; an error fails the attempt (exit code 1) with its message.
type HandlerFunc func(ctx context.Context, t *Task) ([]byte, error)

// ProcessTask calls f.
func (f HandlerFunc) ProcessTask(ctx context.Context, t *Task) ([]byte, error) { return f(ctx, t) }

// Handle registers h for tasks submitted with handler name. Call it before Run:
// the worker advertises its handlers when it registers, and the leader places
// such tasks only on workers that have the handler.
func (w *Worker) Handle(name string, h Handler) error {
	if err := store.ValidateName(name); err != nil {
		return fmt.Errorf("handler name: %w", err)
	}
	if w.handlers == nil {
		w.handlers = map[string]Handler{}
	}
	w.handlers[name] = h
	return nil
}

func (w *Worker) handlerNames() []string {
	names := make([]string, 0, len(w.handlers))
	for n := range w.handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// runHandler runs a Go handler with the task's timeout; a panic fails the
// attempt instead of the worker. It returns when the handler does or when
// ctx (with the timeout) ends, whichever is first: a handler that ignores its
// context must not hold the attempt, a drain or a session loss.
func (w *Worker) runHandler(ctx context.Context, task *store.Task) (out outcome) {
	out.Started = w.cfg.Now()
	defer func() { out.Ended = w.cfg.Now() }()
	h := w.handlers[task.Handler]
	if h == nil {
		out.ExitCode, out.Err = 127, "no handler "+strconv.Quote(task.Handler)+" on this worker"
		return out
	}
	hctx := ctx
	if d := task.Timeout.Duration(); d > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	type returned struct {
		res []byte
		err error
	}
	done := make(chan returned, 1) // an abandoned handler's return must not block
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- returned{err: &handlerPanic{r}}
			}
		}()
		res, err := h.ProcessTask(hctx, &Task{ID: task.ID, Name: task.Name, Attempt: task.Attempt, Payload: task.Payload, Env: task.Env})
		done <- returned{res, err}
	}()
	var r returned
	select {
	case r = <-done:
	case <-hctx.Done():
		grace := time.NewTimer(handlerGrace)
		defer grace.Stop()
		select {
		case r = <-done:
		case <-grace.C:
			w.log.Warn().Str("task_id", task.ID).Str("handler", task.Handler).Msg("handler ignored the end of its context: abandoned")
			r.err = hctx.Err()
		}
	}
	res, err := r.res, r.err
	if len(res) > w.cfg.OutputLimit {
		res = res[len(res)-w.cfg.OutputLimit:]
	}
	out.Stdout = string(res)
	var p *handlerPanic
	switch {
	case err == nil:
	case errors.As(err, &p):
		out.ExitCode, out.Err = 2, fmt.Sprintf("handler panicked: %v", p.v)
	case errors.Is(err, context.DeadlineExceeded) && hctx.Err() != nil && task.Timeout > 0:
		out.ExitCode, out.Err = -1, fmt.Sprintf("timeout after %v", task.Timeout.Duration())
	default:
		out.ExitCode, out.Err = 1, err.Error()
	}
	return out
}

// handlerGrace is how long a handler may take to return after its context
// ends before the attempt goes on without it.
const handlerGrace = time.Second

// handlerPanic carries a handler's panic value out of its goroutine.
type handlerPanic struct{ v any }

func (p *handlerPanic) Error() string { return fmt.Sprintf("handler panicked: %v", p.v) }
