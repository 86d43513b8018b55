package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// followLogs is logs -f: it prints task id's output as the workers publish
// it, then what its record keeps of what came after, and returns when the
// task has ended. A task that ended already prints as logs does.
func followLogs(cmd *cobra.Command, g *globals, id string) error {
	f := &follower{out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr()}
	err := g.withReader(func(ctx context.Context, c *client.Client) error {
		stop := hintQueued(ctx, c, id, f.errOut) // as wait: a task no worker can run says so
		final, err := f.run(ctx, c, id)
		stop()
		if errors.Is(err, store.ErrUnknownTask) {
			return exitCode(1, fmt.Sprintf("task %s not found", id))
		}
		if err != nil {
			return err
		}
		if f.attempt == 0 {
			return printLogs(cmd, g, final, 0) // nothing came live: as logs
		}
		f.catchUp(final) // with the client still open: it may read the task again
		return ctx.Err() // an interrupt while it waited for a cancelled attempt's end: 130
	})
	return err
}

// run prints task id's output as the workers publish it until the task
// ends, and returns its final record (at once for one that has ended):
// what came after the last publication is for catchUp to print.
func (f *follower) run(ctx context.Context, c *client.Client, id string) (*store.Task, error) {
	t, err := c.Status(ctx, id)
	if err != nil || t.State.Terminal() {
		return t, err
	}
	f.status = func() (*store.Task, error) { return c.Status(ctx, id) }
	f.from, f.ctx = t.Attempt, ctx
	final, err := c.Follow(ctx, id, f.live)
	switch {
	case errors.Is(err, store.ErrReadOnlyIdentity) || errors.Is(err, store.ErrNoAuth):
		// Asking the workers is a write: wait for the end instead.
		fmt.Fprintf(f.errOut, "drover: these credentials may not ask the workers for live output (%s); the output follows when the task ends\n", messageOf(err))
		final, err = c.Wait(ctx, id)
	case errors.Is(err, store.ErrTooManyFollowers):
		fmt.Fprintf(f.errOut, "drover: %d tasks are followed already, the most there may be; the output follows when the task ends\n", store.MaxFollowers)
		final, err = c.Wait(ctx, id)
	}
	return final, err
}

// follower prints the live output of a task's attempts (client.Follow)
// in order: of each stream, the bytes it had not printed, and on stderr a
// line where bytes went by unseen.
type follower struct {
	out, errOut io.Writer
	// ctx is the command's: an interrupt ends the wait for a cancelled
	// attempt's output (settled).
	ctx context.Context
	// status reads the task: when a later attempt's output comes, what is
	// left of the earlier attempts is printed from its history first.
	status func() (*store.Task, error)
	// from is the task's attempt when following began: attempts from it
	// on that ran unseen are printed from the history.
	from int
	// attempt is the attempt being printed (0 before the first), printed
	// its bytes of stdout and stderr printed.
	attempt int
	printed [2]int64
}

var streamNames = [2]string{"stdout", "stderr"}

// live prints what o adds.
func (f *follower) live(o *store.LiveOutput) {
	if o.Attempt < max(f.attempt, f.from) {
		return // an earlier attempt's still dying, or published before following began
	}
	if o.Attempt > f.attempt {
		if f.attempt > 0 || o.Attempt > max(f.from, 1) {
			// Earlier attempts' ends, or whole attempts that ran before
			// a word of them came (a worker older than follow).
			if t, err := f.status(); err != nil {
				fmt.Fprintf(f.errOut, "drover: attempt %d's end not printed: %s\n", max(f.attempt, f.from), messageOf(err))
			} else {
				f.catchUpTo(t, o.Attempt)
			}
		}
		if f.attempt > 0 || o.Attempt > 1 {
			fmt.Fprintf(f.errOut, "drover: attempt %d, on worker %s:\n", o.Attempt, o.Worker)
		}
		f.attempt, f.printed = o.Attempt, [2]int64{}
	}
	f.write(0, o.Stdout, o.StdoutBytes)
	f.write(1, o.Stderr, o.StderrBytes)
}

// write prints of b, the last bytes of a stream that has had total, those
// not printed yet.
func (f *follower) write(i int, b []byte, total int64) {
	n := total - f.printed[i]
	if n <= 0 {
		return
	}
	if n > int64(len(b)) {
		fmt.Fprintf(f.errOut, "drover: [%d bytes of %s not seen]\n", n-int64(len(b)), streamNames[i])
	} else {
		b = b[int64(len(b))-n:]
	}
	f.writer(i).Write(b)
	f.printed[i] = total
}

func (f *follower) writer(i int) io.Writer {
	if i == 0 {
		return f.out
	}
	return f.errOut
}

// settled is t, or, when t was cancelled while the attempt being printed
// ran, t read again once its worker has filed that attempt's output (it
// does so just after the cancel: keepCancelledOutput), for up to
// settleWait; it says so on stderr when it was not.
func (f *follower) settled(t *store.Task) *store.Task {
	a, ok := attemptN(t, f.attempt)
	if t.State != store.StateCancelled || !ok || !a.Cancelled || a.StdoutBytes != 0 || a.StderrBytes != 0 || f.status == nil {
		return t
	}
	deadline := time.Now().Add(settleWait)
	for {
		if again, err := f.status(); err == nil {
			if b, ok := attemptN(again, f.attempt); ok && (b.StdoutBytes != 0 || b.StderrBytes != 0) {
				return again
			}
		}
		if time.Now().After(deadline) || f.ctx == nil || f.ctx.Err() != nil {
			fmt.Fprintf(f.errOut, "drover: task %s was cancelled; what attempt %d printed last may be filed in its record later (drover logs %s)\n", t.ID, f.attempt, t.ID)
			return t
		}
		select {
		case <-f.ctx.Done():
		case <-time.After(100 * time.Millisecond): // the worker files it within milliseconds of the kill
		}
	}
}

// settleWait bounds how long a follower waits for a cancelled attempt's
// output to be filed.
const settleWait = 2 * time.Second

// catchUpTo prints what t's history keeps of the attempts before next not
// printed yet: the end of the one being printed, and the ones that ran
// unseen in between.
func (f *follower) catchUpTo(t *store.Task, next int) {
	for _, a := range t.History {
		if a.N < max(f.attempt, f.from) || a.N >= next || a.Unstarted {
			continue
		}
		f.attemptRest(t, a, a.Stdout, a.Stderr)
	}
}

// catchUp prints, of t's attempts from the one being printed on, what its
// record keeps that was not printed: the last's from the result's tail.
func (f *follower) catchUp(t *store.Task) {
	t = f.settled(t)
	ranLast := false
	for _, a := range t.History {
		if a.N == t.Attempt && !a.Unstarted {
			ranLast = true
		}
	}
	f.catchUpTo(t, t.Attempt)
	if ranLast && t.Attempt >= f.attempt {
		a, _ := attemptN(t, t.Attempt)
		f.attemptRest(t, a, t.Stdout, t.Stderr)
	}
}

// attemptRest prints the end of attempt a, whose streams' kept tails are
// stdout and stderr, from where the follower stood (its start when it is
// not the attempt being printed).
func (f *follower) attemptRest(t *store.Task, a store.Attempt, stdout, stderr string) {
	if a.N != f.attempt {
		fmt.Fprintf(f.errOut, "drover: attempt %d, on worker %s:\n", a.N, a.Worker)
		f.attempt, f.printed = a.N, [2]int64{}
	}
	for i, s := range [2]struct {
		text  string
		total int64
	}{{stdout, a.StdoutBytes}, {stderr, a.StderrBytes}} {
		f.rest(i, s.text, s.total)
	}
}

// rest prints the end of a stream kept as text (UTF-8, bytes that were
// not replaced by U+FFFD) of which total bytes were written, from the
// follower's count on.
func (f *follower) rest(i int, text string, total int64) {
	if total == 0 && text != "" { // counts of an older worker: all or nothing
		if f.printed[i] == 0 {
			io.WriteString(f.writer(i), text)
			f.printed[i] = int64(rawLen(text))
		}
		return
	}
	n := total - f.printed[i]
	if n <= 0 {
		return
	}
	// A text as long as all that was written is whole, and holds no
	// replaced byte (each would make it two bytes longer): its U+FFFD
	// are the command's own, three bytes each.
	own := int64(len(text)) == total
	kept := int64(rawLen(text))
	if own {
		kept = total
	}
	if n > kept {
		fmt.Fprintf(f.errOut, "drover: [%d bytes of %s not kept]\n", n-kept, streamNames[i])
	} else {
		text = rawSuffix(text, n, own)
	}
	io.WriteString(f.writer(i), text)
	f.printed[i] = total
}

// rawSuffix is the end of text that stands for the last n bytes written:
// a U+FFFD stands for one byte that was not UTF-8 (see rawLen; one the
// command wrote itself is taken for such a byte too). Of a character cut
// in two, its last bytes. With own, every U+FFFD is the command's own.
func rawSuffix(text string, n int64, own bool) string {
	i := len(text)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(text[:i])
		w := int64(size)
		if r == utf8.RuneError && !own {
			w = 1
		}
		if w > n {
			if r != utf8.RuneError || own {
				// A character the follower got the first bytes of live
				// (a publication cut it): the rest of its bytes.
				i -= int(n)
			}
			break
		}
		n -= w
		i -= size
	}
	return text[i:]
}
