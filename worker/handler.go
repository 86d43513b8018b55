package worker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

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
// attempt instead of the worker.
func (w *Worker) runHandler(ctx context.Context, task *store.Task) (out outcome) {
	out.Started = w.cfg.Now()
	defer func() { out.Ended = w.cfg.Now() }()
	h := w.handlers[task.Handler]
	if h == nil {
		out.ExitCode, out.Err = 127, "no handler "+strconv.Quote(task.Handler)+" on this worker"
		return out
	}
	if d := task.Timeout.Duration(); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			out.ExitCode, out.Err = 2, fmt.Sprintf("handler panicked: %v", r)
		}
	}()
	res, err := h.ProcessTask(ctx, &Task{ID: task.ID, Name: task.Name, Attempt: task.Attempt, Payload: task.Payload, Env: task.Env})
	if len(res) > w.cfg.OutputLimit {
		res = res[len(res)-w.cfg.OutputLimit:]
	}
	out.Stdout = string(res)
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && task.Timeout > 0:
		out.ExitCode, out.Err = -1, fmt.Sprintf("timeout after %v", task.Timeout.Duration())
	default:
		out.ExitCode, out.Err = 1, err.Error()
	}
	return out
}
