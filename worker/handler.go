package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/drover-sched/drover/store"
)

// Task is what a Go handler sees of the attempt it runs.
type Task struct {
	ID   string
	Name string // the task's name; "" when it has none
	// Attempt is this attempt's number, 1-based. Every attempt placed
	// counts, not only those that failed: a re-run after a lost worker,
	// or after a drain handed the attempt back unstarted, has the next
	// number too (it does not count against the task's retries).
	Attempt int
	// RetriesLeft is how many more attempts the task gets if this one
	// fails: 0 on its last try (a handler may, say, alert only then).
	// Lost and unstarted attempts do not count against it; ErrSkipRetry
	// ends the task whatever it says.
	RetriesLeft int
	// Payload is the task's input (client.TaskSpec.Payload): the handler's
	// own copy.
	Payload []byte
	// Env is the task's variables (client.TaskSpec.Env), as data: the
	// worker's process environment is not changed. The handler's own copy.
	Env map[string]string
	// Log is the attempt's stderr, as a command has one: what the handler
	// writes here (progress, diagnostics) is kept like a command's stderr
	// (the end of it, in the result and the attempt's history) and shown
	// as it comes to drover logs -f. Safe for concurrent use; what is
	// written after ProcessTask returned is not kept.
	Log io.Writer
}

// Handler runs a task in the worker's own process, instead of a command.
// ProcessTask must return soon after ctx ends (the task's timeout, its
// withdrawal, the worker stopping). One that does not is abandoned: the
// attempt ends as if it had returned (a timeout is recorded as one), the
// worker goes on without it, and its goroutine runs on unseen. A panic in
// ProcessTask fails the attempt (exit code 2, the panic's value in its
// error, and the value and the goroutine's stack on its stderr, as a Go
// program prints them), not the worker.
type Handler interface {
	ProcessTask(ctx context.Context, t *Task) ([]byte, error)
}

// ErrSkipRetry, returned by a handler or wrapped in its error
// (fmt.Errorf("bad input: %w", worker.ErrSkipRetry)), fails the task at this
// attempt, retries left or not: for a failure no retry can mend (bad input,
// a record that is gone). The task ends failed, the error in its record
// (dead, as any failure, when that attempt used up its retries).
var ErrSkipRetry = errors.New("not to be retried")

// HandlerFunc adapts a function to Handler. Its output is kept like a
// command's stdout: text, its tail up to the worker's output limit, bytes
// that are not UTF-8 replaced by U+FFFD (return binary results encoded, or
// keep them elsewhere and return where); an error fails the attempt (exit
// code 1) with its message.
type HandlerFunc func(ctx context.Context, t *Task) ([]byte, error)

// ProcessTask calls f.
func (f HandlerFunc) ProcessTask(ctx context.Context, t *Task) ([]byte, error) { return f(ctx, t) }

// Handle registers h for tasks submitted with handler name; a nil h or a
// name registered already is an error. Call it before Run: the worker
// advertises its handlers when it registers, and the leader places such
// tasks only on workers that have the handler. While Run runs it returns
// ErrRunning.
func (w *Worker) Handle(name string, h Handler) error {
	if err := store.ValidateName(name); err != nil {
		return fmt.Errorf("handler name: %w", err)
	}
	if f, isFunc := h.(HandlerFunc); h == nil || isFunc && f == nil {
		// Advertised, it would draw tasks that all fail "no handler".
		return fmt.Errorf("handler %q: nil", name)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.active {
		return fmt.Errorf("handler %q: %w: call Handle before Run", name, ErrRunning)
	}
	if w.handlers[name] != nil {
		return fmt.Errorf("handler %q: registered twice", name)
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
	// The handler's Log, followed as a command's output is (follow.go).
	stderr := newTail(w.cfg.OutputLimit)
	live := w.live.add(task, newTail(0), stderr)
	defer func() {
		out.Stderr, out.StderrBytes = stderr.String(), stderr.Total()
		if w.live.remove(live) {
			w.publishRun(live) // what came since the last round, before the report
		}
	}()
	hctx := ctx
	if d := task.Timeout.Duration(); d > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	// The handler's error is made plain data in its own goroutine, under
	// its recover: a typed nil, or an Error, Is or As method that panics,
	// must fail the attempt and not the worker.
	type returned struct {
		res      []byte
		err      string // the error's text; "" with failed false: none
		failed   bool
		panicked bool
		deadline bool // the error is, or wraps, context.DeadlineExceeded
		final    bool // the error is, or wraps, ErrSkipRetry
		// late: its context had ended when the handler returned (or it
		// never did), as the handler's own goroutine saw it: which of the
		// two a select here sees first is the scheduler's chance.
		late bool
	}
	done := make(chan returned, 1) // an abandoned handler's return must not block
	// fate: handlerRunning until the handler's goroutine ends
	// (handlerReturned) or the attempt goes on without it
	// (handlerAbandoned), whichever comes first: an abandoned one is
	// counted until it ends (Stats.Abandoned).
	var fate atomic.Int32
	go func() {
		var r returned
		returnedNormally := false
		defer func() {
			if !fate.CompareAndSwap(handlerRunning, handlerReturned) {
				w.abandoned.Add(-1) // counted when it was abandoned
			}
			done <- r
		}() // runs even if formatting below ends the goroutine
		defer func() {
			if v := recover(); v != nil {
				stack := debug.Stack()
				r = returned{err: "handler panicked", failed: true, panicked: true}
				msg := fmt.Sprint(v) // may end the goroutine: r is set already
				r.err = "handler panicked: " + msg
				// As a Go program that panics prints it on its stderr: the
				// value alone seldom says where.
				fmt.Fprintf(stderr, "panic: %s\n\n%s", msg, stack)
				w.log.Warn().Str("task_id", task.ID).Str("handler", task.Handler).Str("panic", msg).
					Bytes("stack", stack).Msg("handler panicked")
			} else if !returnedNormally {
				r = returned{err: "handler ended its goroutine (runtime.Goexit) without returning", failed: true, panicked: true}
			}
		}()
		// Copies: the handler's to change; the record's are reported, and
		// read by the report while an abandoned handler may still run.
		res, err := h.ProcessTask(hctx, &Task{ID: task.ID, Name: task.Name, Attempt: task.Attempt,
			RetriesLeft: task.RetriesLeft(), Payload: bytes.Clone(task.Payload), Env: maps.Clone(task.Env), Log: stderr})
		r.res, r.late = res, hctx.Err() != nil
		if err != nil {
			// Read here, under the recover: an Is or Error method may panic
			// or end the goroutine too.
			r.failed, r.deadline, r.final = true, errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrSkipRetry)
			r.err = store.Clip(fmt.Sprint(err), store.MaxResultError) // fmt survives a nil receiver
		}
		returnedNormally = true
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
			// Counted before it may end and uncount itself: never below 0.
			w.abandoned.Add(1)
			if !fate.CompareAndSwap(handlerRunning, handlerAbandoned) {
				w.abandoned.Add(-1)
				r = <-done // it returned just now
				break
			}
			if hook := testHookAbandoned.Load(); hook != nil {
				(*hook)(task.ID)
			}
			w.log.Warn().Str("task_id", task.ID).Str("handler", task.Handler).Msg("handler ignored the end of its context: abandoned")
			err := hctx.Err()
			r = returned{err: err.Error(), failed: true, deadline: errors.Is(err, context.DeadlineExceeded), late: true}
		}
	}
	res, cut := r.res, len(r.res) > w.cfg.OutputLimit
	if cut {
		res = res[len(res)-w.cfg.OutputLimit:]
	}
	out.Stdout, out.StdoutBytes = tailText(res, cut), int64(len(r.res))
	timedOut := r.late && task.Timeout > 0 && ctx.Err() == nil && errors.Is(hctx.Err(), context.DeadlineExceeded)
	switch {
	case timedOut && !r.panicked:
		// As a command still running at its timeout is killed and failed,
		// whatever it would have printed next.
		out.ExitCode, out.Err = -1, fmt.Sprintf("timeout after %v", task.Timeout.Duration())
	case !r.failed:
	case r.panicked:
		out.ExitCode, out.Err = 2, r.err
	case r.deadline && r.late && task.Timeout > 0:
		out.ExitCode, out.Err = -1, fmt.Sprintf("timeout after %v", task.Timeout.Duration())
	default:
		out.ExitCode, out.Err, out.final = 1, r.err, r.final
	}
	return out
}

// testHookAbandoned, when set by a test, is called with the task's id as
// runHandler abandons its handler, once the handler's fate is settled.
var testHookAbandoned atomic.Pointer[func(id string)]

// A handler goroutine's fate, as runHandler and the goroutine settle it.
const (
	handlerRunning int32 = iota
	handlerReturned
	handlerAbandoned
)

// handlerGrace is how long a handler may take to return after its context
// ends before the attempt goes on without it.
const handlerGrace = time.Second
