package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// taskFlags are the flags that describe a task, shared by submit and
// schedule add.
type taskFlags struct {
	spec    client.TaskSpec
	on, env []string
	// payload and payloadFile give a handler task's input.
	payload, payloadFile string
}

func (tf *taskFlags) register(f *pflag.FlagSet) {
	f.IntVar(&tf.spec.Retries, "retries", 0, "how often to retry a failed run")
	f.DurationVar(&tf.spec.Backoff, "backoff", 0, "wait this long before the first retry after a failure, doubling for each one after (1ms to 24h; 0: the cluster's, 1s doubling up to 5m)")
	f.IntSliceVar(&tf.spec.NoRetryExit, "no-retry-exit", nil, "exit codes (1..255, comma-separated or repeated) that end the task at once, retries left or not: failures no retry mends")
	f.DurationVar(&tf.spec.Timeout, "timeout", 0, "kill a run after this long, at least 1ms (0: no limit)")
	f.StringArrayVar(&tf.on, "on", nil, "run only on workers with label k=v (repeatable)")
	choiceVar(f, &tf.spec.Priority, "priority", "normal", "low, normal or high", "low", "normal", "high")
	f.StringArrayVar(&tf.env, "env", nil, "environment variable K=V for the task (repeatable)")
	f.BoolVar(&tf.spec.Shell, "shell", false, "run the command with /bin/sh -c (argv otherwise)")
	f.StringVar(&tf.spec.Handler, "handler", "", "run the Go handler of this name (registered on workers: see README, Go API) instead of a command")
	f.StringVar(&tf.payload, "payload", "", "with --handler: its input, this text")
	f.StringVar(&tf.payloadFile, "payload-file", "", "with --handler: its input, read from this file (- for stdin)")
}

// commandLineWins drops a config file's --payload or --payload-file when
// the command line gives the other, and a config file's --handler with its
// payload when the command line gives a command (args): a file's values
// are defaults.
func (tf *taskFlags) commandLineWins(cmd *cobra.Command, args []string) {
	if len(args) > 0 && !givenOnCommandLine(cmd, "handler") {
		tf.spec.Handler = ""
		if !givenOnCommandLine(cmd, "payload") {
			tf.payload = ""
		}
		if !givenOnCommandLine(cmd, "payload-file") {
			tf.payloadFile = ""
		}
	}
	switch {
	case givenOnCommandLine(cmd, "payload-file") && !givenOnCommandLine(cmd, "payload"):
		tf.payload = ""
	case givenOnCommandLine(cmd, "payload") && !givenOnCommandLine(cmd, "payload-file"):
		tf.payloadFile = ""
	}
}

// runsHandler says the task runs a Go handler (--handler), not a command:
// it takes no command arguments.
func (tf *taskFlags) runsHandler() bool { return tf.spec.Handler != "" }

// build returns the task spec for command args.
func (tf *taskFlags) build(args []string) (client.TaskSpec, error) {
	spec := tf.spec
	var err error
	if spec.On, err = parsePairs("--on", tf.on, true); err != nil {
		return spec, err
	}
	if spec.Env, err = parsePairs("--env", tf.env, false); err != nil {
		return spec, err
	}
	if spec.Handler != "" && len(args) > 0 {
		return spec, usageErr("--handler %s runs a Go handler: give no command after it (or leave --handler out)", spec.Handler)
	}
	if spec.Handler == "" && (tf.payload != "" || tf.payloadFile != "") {
		return spec, usageErr("--payload and --payload-file are a Go handler's input: give --handler NAME (a command takes arguments and --env)")
	}
	switch {
	case tf.payload != "" && tf.payloadFile != "":
		return spec, usageErr("--payload and --payload-file: give one, not both")
	case tf.payload != "":
		spec.Payload = []byte(tf.payload)
	case tf.payloadFile != "":
		var err error
		if spec.Payload, err = readPayload(tf.payloadFile); err != nil {
			return spec, usageErr("--payload-file %s: %v", shown(tf.payloadFile), err)
		}
	}
	for _, id := range spec.After {
		// Said as given ("x"): the spec's own check names the id as the
		// record keeps it, upper case.
		if err := checkTaskID(id); err != nil {
			return spec, usageErr("--after: %v", err)
		}
	}
	spec.Cmd = args
	return spec, nil
}

// readPayload reads a handler's input from file (- for stdin), refusing
// one larger than a task may hold (read no further than that).
func readPayload(file string) ([]byte, error) {
	var r io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, store.MaxSpecSize+1))
	if err == nil && len(b) > store.MaxSpecSize {
		err = fmt.Errorf("larger than the %d bytes a task may hold", store.MaxSpecSize)
	}
	return b, err
}

func newSubmitCmd(g *globals) *cobra.Command {
	var (
		tf          taskFlags
		file        string
		wait        bool
		follow      bool
		waitTimeout time.Duration
		atText      string
	)
	cmd := &cobra.Command{
		Use:   "submit [flags] -- CMD ARGS... | submit -f FILE.jsonl",
		Short: "Submit a task (or many from a JSONL file) and print its id",
		Long: `Submit a task (or many from a JSONL file) and print its id, one per line.
With -o json it prints an array of {"id": ..., "existing": ...} objects, existing
being true when an idempotency key returned a task submitted before.`,
		Example: `  drover submit --wait -- echo hello
  drover submit --retries 3 --timeout 10m --on gpu=true -- ./train.sh
  drover submit --in 10m -- ./cleanup.sh
  drover submit --at 2026-12-07T02:00:00+01:00 -- ./migrate.sh
  drover submit --key extract -- ./extract.sh
  drover submit --after-key extract -- ./transform.sh
  drover submit -f batch.jsonl    # lines may wait for earlier lines: "after_key":["extract"]`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := fileFlagErr(cmd, file); err != nil {
				return err
			}
			// each hands the tasks, checked, to a function in turn; total
			// is how many.
			var (
				each  func(func(client.TaskSpec) error) error
				total int
				one   *client.TaskSpec // the task given on the command line
				// outsideKeys are the keys lines wait for (after_key) that
				// no line before gives, each with the first line naming it:
				// looked up before any line is sent.
				outsideKeys = map[string]int{}
			)
			if follow {
				if file != "" {
					return usageErr("submit: --follow prints one task's output as it runs; -f submits a file's (--wait prints the first failure's exit code)")
				}
				wait = true
			}
			if file != "" {
				if len(args) > 0 {
					return usageErr("submit: give either -f FILE or a command, not both")
				}
				// They describe one task: dropped, a --key meant to make a
				// batch safe to send again did nothing. (A config file's
				// submit section is defaults for the command line only.)
				for _, name := range []string{"retries", "no-retry-exit", "backoff", "timeout", "on", "priority", "env", "shell", "name", "key", "handler", "payload", "payload-file", "at", "in", "starting-deadline", "after", "after-key"} {
					if givenOnCommandLine(cmd, name) {
						field := strings.ReplaceAll(strings.TrimSuffix(name, "-file"), "-", "_") // a line's "payload" (base64), "starting_deadline"
						return usageErr("submit -f: --%s describes one task: give it in each line of the file (\"%s\": ...)", name, field)
					}
				}
				in, err := openSpecs(file)
				if errors.Is(err, errKeep) {
					return exitCode(1, fmt.Sprintf("submit -f %s: %v", shown(file), err))
				}
				if err != nil {
					return usageErr("submit: %v", err)
				}
				defer in.close()
				// Every line is checked before any is sent, and read again
				// to be sent: they are never all held.
				var first client.TaskSpec
				err = client.EachSpecLine(in.first, func(s client.TaskSpec, line int, outside []string) error {
					if total++; total == 1 {
						first = s
					}
					for _, k := range outside {
						if _, ok := outsideKeys[k]; !ok {
							outsideKeys[k] = line
						}
					}
					return nil
				})
				if kerr := in.failed(); kerr != nil {
					// (The scanner hands on the line the copy's failure cut
					// before the failure itself.)
					err = kerr
				}
				if errors.Is(err, errKeep) {
					return exitCode(1, fmt.Sprintf("submit -f %s: %v", shown(file), err))
				}
				if err != nil {
					return usageErr("submit -f %s: %s", shown(file), describeInvalid(fileErr(err)))
				}
				if total == 0 {
					return usageErr("submit -f %s: no tasks in file", shown(file))
				}
				if total == 1 {
					one = &first // a key of another spec is said, as on the command line
				}
				each = func(fn func(client.TaskSpec) error) error {
					r, err := in.again()
					if err != nil {
						return fmt.Errorf("submit -f %s: read it again: %w", shown(file), err)
					}
					n := 0
					err = client.EachSpec(r, func(s client.TaskSpec) error {
						if n++; n > total { // grown since: what was checked is sent (below)
							return errChanged
						}
						return fn(s)
					})
					if err == nil && n != total {
						err = fmt.Errorf("%w: %d tasks where it had %d", errChanged, n, total)
					}
					if errors.Is(err, client.ErrInvalid) || errors.Is(err, errChanged) {
						err = fmt.Errorf("submit -f %s: changed while it was sent: %w", shown(file), err)
					}
					return err
				}
			} else {
				tf.commandLineWins(cmd, args)
				if len(args) == 0 && !tf.runsHandler() {
					return usageErr("submit: no command given: drover submit [flags] -- CMD ARGS... (or --handler NAME)")
				}
				// --key "$JOB_KEY" with the variable unset was no key, and
				// each resubmit a new task; refused, as an empty --priority
				// is. (A config file's empty key still means none.)
				if givenOnCommandLine(cmd, "key") && tf.spec.Key == "" {
					return usageErr("submit: --key \"\": empty (leave the flag out for no idempotency key)")
				}
				if givenOnCommandLine(cmd, "name") && tf.spec.Name == "" {
					return usageErr("submit: --name \"\": empty (leave the flag out for no name)")
				}
				switch at, in := givenOnCommandLine(cmd, "at"), givenOnCommandLine(cmd, "in"); {
				case at && in:
					// --in 0s with --at was taken for no --in.
					return usageErr("submit: give --at or --in, not both")
				case at:
					tf.spec.In = 0 // a config file's default, which --at replaces
				case in:
					atText = "" // likewise
				}
				if atText != "" {
					t, err := client.ParseAt(atText)
					if err != nil {
						return usageErr("submit: --at %s", printable(err.Error()))
					}
					tf.spec.At = t
				} else if givenOnCommandLine(cmd, "at") {
					return usageErr("submit: --at \"\": empty (leave the flag out to run it at once)")
				}
				spec, err := tf.build(args)
				if err != nil {
					return err
				}
				if _, err := spec.Task(time.Now()); err != nil {
					return usageErr("submit: %s", inFlagWords(describeInvalid(err), "--"))
				}
				each = func(fn func(client.TaskSpec) error) error { return fn(spec) }
				total, one = 1, &spec
			}
			if waitTimeout < 0 || (waitTimeout > 0 && !wait) {
				return usageErr("submit: --wait-timeout needs --wait and a duration of zero (no limit) or more")
			}
			return g.withClient(func(ctx context.Context, c *client.Client) error {
				// (A file of one line too, which one names: its line is
				// said. The command line's task has none.)
				if err := checkOutsideKeys(ctx, c, file, outsideKeys); err != nil {
					return err
				}
				// Submitted in chunks so a terminal shows progress; each chunk
				// is still batched into multis by the store.
				var res []store.SubmitResult
				keys := &keyCheck{c: c} // lines whose key named a task submitted before (more than one task)
				bar := progress(cmd, total, "submitting")
				// A batch in flight at an interrupt gets writeGrace for its
				// answer; the next is not sent (send looks at ctx).
				wctx, endGrace := graceCtx(ctx, writeGrace)
				defer endGrace()
				wctx = store.SendUntil(wctx, ctx)
				send := func(chunk []client.TaskSpec) error {
					if err := ctx.Err(); err != nil {
						return err
					}
					part, err := c.Submit(wctx, chunk)
					res = append(res, part...)
					bar(len(part))
					if one == nil {
						// Read as each chunk is sent: no more lines are held.
						if kerr := keys.check(ctx, chunk[:len(part)], part); err == nil {
							err = kerr
						}
					}
					return err
				}
				var chunk []client.TaskSpec
				err := each(func(s client.TaskSpec) error {
					if chunk = append(chunk, s); len(chunk) < submitChunk {
						return nil
					}
					err := send(chunk)
					chunk = nil
					return err
				})
				// Read and checked before the end, or before the input was
				// found changed (a failed send leaves none).
				if len(chunk) > 0 {
					if serr := send(chunk); serr != nil {
						err = serr
					}
				}
				if errors.Is(err, client.ErrInvalid) && len(res) == 0 {
					if one != nil && file == "" {
						// The command line's task: in its flags' words
						// (--after ID: no such task).
						return usageErr("submit: %s", inFlagWords(describeInvalid(err), "--"))
					}
					return usageErr("%s", describeInvalid(err))
				}
				keys.note(cmd.ErrOrStderr()) // of the lines sent, the submit failed midway or not
				// With --wait, stdout carries only the task's own output.
				out := cmd.OutOrStdout()
				if wait {
					out = cmd.ErrOrStderr()
				}
				// Print what was written even when a later transaction failed:
				// those tasks are accepted and will run.
				where := "printed above" // where the accepted ids are said
				if len(res) > 0 {
					if perr := printSubmitted(out, res, g.output == "json"); perr != nil {
						// Their ids, a script's one handle on them, are
						// said here then (stdout full, say).
						where = "named here" + inDoubt(submittedIDs(res))
						if err == nil {
							return exitCode(1, fmt.Sprintf("%v (the %d task(s) %s were submitted)", perr, len(res), where))
						}
					}
				}
				if errors.Is(err, errKeysUnread) && len(res) == total {
					return exitCode(130, fmt.Sprintf("%v (the %d task(s) %s were submitted)", errKeysUnread, len(res), where))
				}
				if err != nil {
					// A transaction in flight when the connection dropped may
					// have landed: say so, lest its tasks be sent twice.
					cause := err.Error()
					switch {
					case ctx.Err() != nil && errors.Is(err, store.ErrClosed):
						// Interrupted: runClient closed the store under
						// a transaction whose reply had not come.
						cause = "ZooKeeper did not answer" // runClient says "interrupted: "
					case ctx.Err() != nil && errors.Is(err, ctx.Err()):
						cause = "interrupted" // what was sent is said below
					}
					var ife *store.InFlightError
					if errors.As(err, &ife) {
						return exitCode(1, fmt.Sprintf("%s (the %d task(s) %s were submitted; the next %d may have been%s: look for them (drover status ID) before you submit them again; the other %d were not)",
							cause, len(res), where, ife.N, inDoubt(ife.IDs), total-len(res)-ife.N))
					}
					if len(res) > 0 {
						return exitCode(1, fmt.Sprintf("%s (the %d task(s) %s were submitted, the other %d were not)",
							cause, len(res), where, total-len(res)))
					}
					return err
				}
				if one != nil && len(res) == 1 && res[0].Existing {
					if err := noteOtherSpec(ctx, c, *one, res[0].ID, cmd.ErrOrStderr()); err != nil {
						return err
					}
				}
				if err := keys.err(); err != nil {
					return err
				}
				if !wait {
					return nil
				}
				ids := submittedIDs(res)
				if waitTimeout > 0 { // counted from here: the submit is done
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, waitTimeout)
					defer cancel()
				}
				return waitAll(ctx, c, ids, waitTimeout, len(ids) == 1, follow, nil, cmd.OutOrStdout(), cmd.ErrOrStderr())
			})
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false) // everything after the command's name belongs to it
	tf.register(f)
	f.StringVar(&tf.spec.Name, "name", "", "a name for the task")
	f.StringVar(&tf.spec.Key, "key", "", "idempotency key: submitting the same key again returns the first task")
	f.StringVar(&atText, "at", "", "start it no earlier than this RFC 3339 time (2026-12-07T02:00:00Z; at most 366 days ahead; a time past: at once)")
	f.DurationVar(&tf.spec.In, "in", 0, "start it no earlier than this long after the submit (at most 366 days)")
	f.StringSliceVar(&tf.spec.After, "after", nil, "start it only once these tasks (ids, comma-separated or repeated; at most 32) have succeeded; it ends cancelled if one ends otherwise")
	f.StringArrayVar(&tf.spec.AfterKey, "after-key", nil, "start it only once the tasks these idempotency keys name have succeeded, as --after (repeat it for each key; with --after at most 32)")
	f.DurationVar(&tf.spec.StartingDeadline, "starting-deadline", 0, "cancel it if its first attempt has not started this long after its start (the submit, --at or --in), at least 1ms (0: no limit); retries are not bound")
	f.BoolVar(&wait, "wait", false, "wait for the task, print its output and exit with its exit code")
	f.BoolVar(&follow, "follow", false, "--wait, printing the output as the task runs (drover logs -f); one task")
	f.DurationVar(&waitTimeout, "wait-timeout", 0, "with --wait: give up waiting after this long and exit 124 (the task goes on); 0, the default: no limit")
	f.StringVarP(&file, "file", "f", "", "submit one task per line of a JSONL file (- for stdin)")
	onlyOnce(f, "file", "one file only (join them: cat A B | drover submit -f -)")
	onlyOnce(f, "key", "a key names one task")
	return cmd
}

// onlyOnce makes flag name of fs one that fileFlagErr refuses when given
// twice (pflag keeps the last): submit -f A -f B submitted B alone,
// without a word (review174). The count is checked when the command runs,
// not as the flags are parsed: tab completion parses them twice.
func onlyOnce(fs *pflag.FlagSet, name, why string) {
	f := fs.Lookup(name)
	f.Value = &once{Value: f.Value, why: why}
	if f.DefValue == "[]" {
		// pflag knows an empty list for no default by its type, which
		// the wrapper hides: help said "(default [])".
		f.DefValue = ""
	}
}

// once is a flag's value that counts how often it was set.
type once struct {
	pflag.Value
	n   int
	why string
}

func (o *once) Set(s string) error {
	o.n++
	return o.Value.Set(s)
}

// onceErr is the usage error of the first onlyOnce flag of cmd given more
// than once; nil if none was.
func onceErr(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if o, ok := f.Value.(*once); ok && o.n > 1 && err == nil {
			err = usageErr("%s: --%s given %d times: %s", cmdName(cmd), f.Name, o.n, o.why)
		}
	})
	return err
}

// fileFlagErr is the usage error of submit's or wait's flags before any
// is read: the first onlyOnce flag given more than once, or an empty -f
// (an unset variable, -f "$BATCH": it read as no -f, and submit said no
// command was given); nil if neither.
func fileFlagErr(cmd *cobra.Command, file string) error {
	err := onceErr(cmd)
	if err == nil && givenOnCommandLine(cmd, "file") && file == "" {
		err = usageErr("%s: -f \"\": no file named (- for standard input)", cmdName(cmd))
	}
	return err
}

// noteOtherSpec says on stderr when the task an idempotency key named,
// id, was submitted with another spec than the one given: the first is
// returned, as the key promises, and what was given now is not submitted
// (a changed command or --retries under a reused key went unsaid, and
// --wait reported the first task's outcome as this one's). Its error is
// that task's record's that does not decode (moved to deadletter, as
// drover status moves it): the command fails for that task.
func noteOtherSpec(ctx context.Context, c *client.Client, spec client.TaskSpec, id string, stderr io.Writer) error {
	other, unread, err := otherSpec(ctx, c, spec, id)
	if ctx.Err() != nil {
		// Interrupted under the read: the closed store's error is not the
		// task's (review197).
		return exitCode(130, fmt.Sprintf("interrupted while reading task %s, which key %q names, to compare its spec with this one (its id is printed above)", id, spec.Key))
	}
	if other {
		fmt.Fprintf(stderr, "drover: key %q names task %s, submitted before with another spec: that task is returned, and this one was not submitted\n", spec.Key, id)
	}
	if unread != nil {
		fmt.Fprintf(stderr, "drover: key %q names task %s, submitted before, which could not be read to compare its spec with this one: %s\n", spec.Key, id, printable(oneLine(unread.Error())))
	}
	return err
}

// otherSpec reports whether task id, which spec's key named, was
// submitted with another spec; unread is why its record could not be read
// to say (a connection lost, say: the submit stands, and the answer is not
// known); err is that task's record's that does not decode (moved to
// deadletter by Status).
func otherSpec(ctx context.Context, c *client.Client, spec client.TaskSpec, id string) (other bool, unread, err error) {
	given, err := spec.Task(time.Now())
	if err != nil {
		return false, nil, nil
	}
	first, err := c.Status(ctx, id)
	switch {
	case isRecordErr(err):
		return false, nil, err
	case errors.Is(err, store.ErrUnknownTask):
		return false, nil, nil // gone since (retention): nothing to compare
	case err != nil:
		return false, err, nil
	}
	return !client.SameSpec(first, given), nil, nil
}

// keyCheck is noteOtherSpec for the lines of a submit -f of more than one
// task, read as each chunk is sent (no more lines are held than a chunk's):
// one line says how many keys named tasks of another spec, and the first
// few (note); a task whose record does not decode fails the command (exit
// 1, the ids printed before), as for one task (err).
type keyCheck struct {
	c     *client.Client
	other int      // keys that named a task of another spec
	named []string // the first keysNamed of them
	bad   error    // the first record that does not decode
	nbad  int
	// unread counts the tasks that could not be read for another reason
	// (a connection lost), unreadErr the first one's error.
	unread    int
	unreadErr error
}

// errKeysUnread is an interrupt while keyCheck read the tasks keys named.
var errKeysUnread = errors.New("interrupted while reading the tasks the keys named")

// checkOutsideKeys refuses a file some line of which waits for a key
// (after_key) that no line before it gives and no task in the cluster has,
// before any line is sent, naming the first such line; keys are looked up
// keyReaders at a time, and the first refused in the order of their first
// lines said.
func checkOutsideKeys(ctx context.Context, c *client.Client, file string, keys map[string]int) error {
	names := slices.SortedFunc(maps.Keys(keys), func(a, b string) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) })
	errs := make([]error, len(names))
	var g errgroup.Group
	g.SetLimit(keyReaders)
	for i, k := range names {
		if ctx.Err() != nil {
			break // the reads begun end with the store's close
		}
		g.Go(func() error {
			_, errs[i] = c.TaskOfKey(ctx, k)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, k := range names {
		switch err := errs[i]; {
		case err == nil:
			continue
		case errors.Is(err, store.ErrNoKey):
			return usageErr("submit -f %s: line %d: after_key %q: no task has this key (a line that gives it must come before the line that waits for it)", shown(file), keys[k], k)
		case errors.Is(err, store.ErrUnknownTask), errors.Is(err, store.ErrMalformed):
			return usageErr("submit -f %s: line %d: after_key %q: %s", shown(file), keys[k], k, printable(err.Error()))
		default:
			return fmt.Errorf("submit -f %s: line %d: after_key %q: %w", shown(file), keys[k], k, err)
		}
	}
	return nil
}

// keysNamed bounds the keys a line names.
const keysNamed = 3

// keyReaders bounds the reads keyCheck has in flight.
const keyReaders = 32

// check reads the tasks that the keys of specs (sent, with results res)
// named, keyReaders at a time. An interrupt ends it: its error is ctx's
// (a read the closed store failed would pass for the same spec).
func (k *keyCheck) check(ctx context.Context, specs []client.TaskSpec, res []store.SubmitResult) error {
	other, unread, errs := make([]bool, len(res)), make([]error, len(res)), make([]error, len(res))
	var g errgroup.Group
	g.SetLimit(keyReaders)
	for i, r := range res {
		if !r.Existing || ctx.Err() != nil {
			continue
		}
		g.Go(func() error {
			other[i], unread[i], errs[i] = otherSpec(ctx, k.c, specs[i], r.ID)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", errKeysUnread, err)
	}
	for i, r := range res {
		if other[i] {
			if k.other++; k.other <= keysNamed {
				k.named = append(k.named, fmt.Sprintf("key %q names task %s", specs[i].Key, r.ID))
			}
		}
		if errs[i] != nil {
			if k.nbad++; k.bad == nil {
				k.bad = errs[i]
			}
		}
		if unread[i] != nil {
			if k.unread++; k.unreadErr == nil {
				k.unreadErr = unread[i]
			}
		}
	}
	return nil
}

// note says on stderr which keys named tasks of another spec, if any.
func (k *keyCheck) note(stderr io.Writer) {
	if k.unread > 0 {
		fmt.Fprintf(stderr, "drover: %d key(s) named tasks submitted before that could not be read to compare their specs with these lines (%s)\n",
			k.unread, printable(oneLine(k.unreadErr.Error())))
	}
	if k.other == 0 {
		return
	}
	more := ""
	if k.other > keysNamed {
		more = fmt.Sprintf(", and %d more", k.other-keysNamed)
	}
	fmt.Fprintf(stderr, "drover: %d key(s) named tasks submitted before with another spec: those tasks are returned, and these lines were not submitted (%s%s)\n",
		k.other, strings.Join(k.named, ", "), more)
}

// err is the first record that does not decode, with how many more.
func (k *keyCheck) err() error {
	if k.nbad <= 1 {
		return k.bad
	}
	return exitCode(1, fmt.Sprintf("%v (and %d more task record(s) named by keys that do not decode, moved to deadletter)", k.bad, k.nbad-1))
}

// submitted is one entry of submit's -o json output.
type submitted struct {
	ID       string `json:"id"`
	Existing bool   `json:"existing"` // an idempotency key matched an earlier task
}

func submittedIDs(res []store.SubmitResult) []string {
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	return ids
}

// printSubmitted writes the submitted ids: one per line, or a JSON array.
func printSubmitted(w io.Writer, res []store.SubmitResult, asJSON bool) error {
	if !asJSON {
		for _, r := range res {
			if _, err := fmt.Fprintln(w, r.ID); err != nil {
				return err
			}
		}
		return nil
	}
	list := make([]submitted, len(res))
	for i, r := range res {
		list[i] = submitted{ID: r.ID, Existing: r.Existing}
	}
	return writeJSON(w, list)
}

// describeInvalid turns a validation error into its one-line message.
func describeInvalid(err error) string {
	msg := strings.TrimPrefix(err.Error(), client.ErrInvalid.Error()+": ")
	var tooLarge = errors.Is(err, store.ErrTooLarge)
	if tooLarge {
		return "task too large: " + msg
	}
	return msg
}

// specWords are the words a task spec's check leads its message with
// (the record's field names, as a JSONL line gives them: "no_retry_exit
// 0: want ...") and the flag that gives each field (without its dashes:
// schedule apply's key is the same word).
var specWords = []struct{ field, flag string }{
	{"no_retry_exit ", "no-retry-exit "},
	{"starting_deadline ", "starting-deadline "},
	{"starting deadline ", "starting-deadline "},
	{"after_key ", "after-key "},
	{"after: ", "after: "},
	{"after ", "after "},
	{"task name: name ", "name "},
	{"handler: name ", "handler "},
	// A label's check names the label (its key, or key=value), not the
	// flag: kept after it.
	{"label ", "on: label "},
	{"labels (on): ", "on: "},
	{"env ", "env "},
	{"shell is ", "shell is "},
	{"timeout ", "timeout "},
	{"backoff ", "backoff "},
	{"retries ", "retries "},
	{"key ", "key "},
	{"in ", "in "},
	{"at ", "at "},
}

// inFlagWords is describeInvalid's message for a task given by flags
// (dashes "--") or by schedule apply's keys (dashes ""): led by the flag
// or key that gave the field it names ("--no-retry-exit 0: want exit
// codes 1..255"), not the record's name for it, which the user did not
// write.
func inFlagWords(msg, dashes string) string {
	switch {
	case msg == "give at or in, not both":
		return "give --at or --in, not both"
	case strings.HasPrefix(msg, "after and after_key: "):
		return "--after and --after-key: " + strings.TrimPrefix(msg, "after and after_key: ")
	}
	for _, w := range specWords {
		if rest, ok := strings.CutPrefix(msg, w.field); ok {
			return dashes + w.flag + strings.TrimSuffix(rest, ": "+store.ErrInvalidName.Error())
		}
	}
	return msg
}

// parsePairs reads k=v flags. A key given twice with two values is bad
// input when oneValue (a label: which one was meant?); otherwise, as a
// shell's assignments, the last wins.
func parsePairs(flag string, pairs []string, oneValue bool) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageErr("%s %q: want k=v", flag, p)
		}
		if old, dup := m[k]; dup && old != v && oneValue {
			return nil, usageErr("%s: %s given as %q and %q", flag, k, old, v)
		}
		m[k] = v
	}
	return m, nil
}

// readFileMax reads a file the user named, refusing one of more than max
// bytes (/dev/zero, a log given by mistake) instead of reading it all.
func readFileMax(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileErr(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fileErr(err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", shown(path), max)
	}
	return data, nil
}

// fileErr names the file of an open or read error as shown does: a name
// with a line break in it cut the one-line error before its cause ("drover:
// submit: open no").
func fileErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s %s: %w", pe.Op, shown(pe.Path), pe.Err)
	}
	return err
}

// readIDs reads whitespace-separated task ids from r, each checked as it
// is read, so that a file that holds no ids fails on its first word. A
// UTF-8 byte order mark at the start (Notepad writes one) is skipped, as
// submit -f skips it.
func readIDs(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(client.SkipBOM(r))
	sc.Buffer(make([]byte, 4096), 4096)
	sc.Split(bufio.ScanWords)
	var ids []string
	for sc.Scan() {
		id := sc.Text()
		if err := checkTaskID(id); err != nil {
			return nil, fmt.Errorf("word %d: %w", len(ids)+1, err)
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			// (Its own words: "bufio.Scanner: token too long".)
			return nil, fmt.Errorf("word %d: longer than 4,096 bytes, no task id", len(ids)+1)
		}
		return nil, fmt.Errorf("word %d: %w", len(ids)+1, err)
	}
	return ids, nil
}

// openInput opens a file named on the command line, standard input for "-".
func openInput(name string) (*os.File, func(), error) {
	if name == "-" {
		return os.Stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fileErr(err)
	}
	return f, func() { f.Close() }, nil
}

func newWaitCmd(g *globals) *cobra.Command {
	var (
		file    string
		timeout time.Duration
		follow  bool
		keys    []string
	)
	cmd := &cobra.Command{
		Use:   "wait ID... [--key KEY...] | wait -f FILE | wait --follow ID",
		Short: "Wait for tasks; exit 0 when all succeeded, else the first failure's exit code",
		Long: `Wait for tasks; exit 0 when all succeeded, else the first failure's exit code.
With -o json it prints the finished tasks as a JSON array, in the order given.
With --timeout it exits 124 when the tasks have not all finished in time; they
go on running. With --follow (one task) it prints the task's output as it
comes, as submit --follow does, then exits with its exit code.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := fileFlagErr(cmd, file); err != nil {
				return err
			}
			if timeout < 0 {
				return usageErr("wait: --timeout must not be negative")
			}
			ids := args
			if file != "" {
				r, closeFn, err := openInput(file)
				if err != nil {
					return usageErr("wait: %v", err)
				}
				read, err := readIDs(r)
				closeFn()
				if err != nil {
					return usageErr("wait: %s: %v", shown(file), err)
				}
				ids = append(ids, read...)
			}
			if len(ids) == 0 && len(keys) == 0 {
				return usageErr("wait: no task ids given")
			}
			if follow && (len(ids)+len(keys) != 1 || file != "") {
				return usageErr("wait: --follow prints one task's output as it runs: give one ID (drover logs -f ID for another)")
			}
			if follow && g.output == "json" {
				// Both would go to stdout, in an order that depends on timing.
				return usageErr("wait: --follow prints the task's output on stdout: not with -o json (drover wait -o json ID has the output in its JSON)")
			}
			for _, id := range ids[:len(args)] { // readIDs checked the file's
				if err := checkTaskID(id); err != nil {
					return usageErr("wait: %v", err)
				}
			}
			var report io.Writer
			if g.output == "json" {
				report = cmd.OutOrStdout()
			}
			return g.withReaderFor(timeout, func(ctx context.Context, c *client.Client) error {
				byKey, err := keyIDs(ctx, c, "wait", keys)
				if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
					// --timeout ran out on the look-up (ZooKeeper slow to
					// answer): as on the wait, not a failure of a task.
					return exitCode(exitTimedOut, fmt.Sprintf("wait: timed out after %s looking up the tasks of --key", timeout))
				}
				if err != nil {
					return err
				}
				return waitAll(ctx, c, append(ids, byKey...), timeout, follow, follow, report, cmd.OutOrStdout(), cmd.ErrOrStderr())
			})
		},
	}
	keyFlag(cmd, &keys, true)
	cmd.Flags().BoolVar(&follow, "follow", false, "one task: print its output as it comes (drover logs -f), then exit with its exit code")
	cmd.Flags().StringVarP(&file, "file", "f", "", "read task ids from a file, one per line (- for stdin)")
	onlyOnce(cmd.Flags(), "file", "one file only (join them: cat A B | drover wait -f -)")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long and exit 124 (0: wait for as long as it takes)")
	return cmd
}

// inDoubt names the ids of tasks a submit may have written: all of them
// when few, else the first and the last (ids sort in submit order).
func inDoubt(ids []string) string {
	switch {
	case len(ids) == 0:
		return ""
	case len(ids) <= 5:
		return ", ids " + strings.Join(ids, " ")
	}
	return fmt.Sprintf(", ids %s to %s", ids[0], ids[len(ids)-1])
}

// endOf is what a wait without -o json reads of a finished task: a batch's
// outputs (up to 64 KiB a stream, and each attempt's tail) held to the
// last task would make its memory grow with all of them (2,000 tasks with
// output: 400 MB).
func endOf(t *store.Task) *store.Task {
	return &store.Task{ID: t.ID, State: t.State, ExitCode: t.ExitCode, Error: t.Error}
}

// hintDelay is how long a wait for one task lets it stay queued before it
// says why it may wait for ever, when drover status knows why.
const hintDelay = time.Second

// hintQueued says on stderr, once, why the task id waits (no scheduler
// runs, no worker can run it: status's waiting line) if it is still
// queued after hintDelay: a wait for a task with a label no worker has
// (a typo) waited in silence. stop ends it: once stop returns it prints
// nothing. Its reads take no context, and over a silent link one waits for
// the client to give the connection up; stop waits for them no longer than
// hintStopWait (the wait's --timeout and Ctrl-C were held for a session
// timeout and more), and they end when the command closes its store.
func hintQueued(ctx context.Context, c *client.Client, id string, stderr io.Writer) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var mu sync.Mutex // held to print, and by stop: nothing after it
	stopped := false
	go func() {
		defer close(done)
		t := time.NewTimer(hintDelay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		task, err := c.Status(ctx, id)
		if err != nil || task.State != store.StateQueued {
			return
		}
		if why := waitsFor(ctx, c, task); why != "" {
			mu.Lock()
			defer mu.Unlock()
			if !stopped && ctx.Err() == nil { // the wait not over
				fmt.Fprintf(stderr, "drover: task %s waits %s; still waiting\n", task.ID, why)
			}
		}
	}()
	return func() {
		cancel()
		timer := time.NewTimer(hintStopWait)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
		}
		mu.Lock()
		stopped = true
		mu.Unlock()
	}
}

// hintStopWait bounds how long a wait that ended waits for its hint's reads.
const hintStopWait = 100 * time.Millisecond

// exitTimedOut is the exit code of a wait that gave up (as timeout(1) uses).
const exitTimedOut = 124

// waitAll waits for every task until ctx ends: its deadline, when the caller
// set one, is the timeout (named in the message). With showOutput (one task)
// it prints the task's stdout and stderr (with follow, as they come: logs
// -f's follower); with report set it writes the
// finished tasks there as JSON. The exit code is 0 when all succeeded, else
// the first failing task's exit code (1 when it has none), or exitTimedOut.
func waitAll(ctx context.Context, c *client.Client, ids []string, timeout time.Duration, showOutput, follow bool, report, stdout, stderr io.Writer) error {
	code := 0
	var msg string
	// An id given twice (in either case) names its task once.
	tasks := map[string]bool{}
	for _, id := range ids {
		tasks[strings.ToUpper(id)] = true
	}
	bar := func(int) {}
	if !showOutput {
		bar = progressTo(stderr, len(tasks), "waiting")
	}
	results := make(map[string]*store.Task, len(ids))
	var err error
	var live *follower // with follow: prints the output as it comes
	if len(ids) == 1 {
		stop := hintQueued(ctx, c, ids[0], stderr)
		if follow {
			live = &follower{out: stdout, errOut: stderr}
			results[strings.ToUpper(ids[0])], err = live.run(ctx, c, ids[0])
		} else {
			results[strings.ToUpper(ids[0])], err = c.Wait(ctx, ids[0])
		}
		stop()
	} else {
		err = c.WaitAll(ctx, ids, func(t *store.Task) {
			if report == nil {
				t = endOf(t)
			}
			results[t.ID] = t
			bar(1)
		})
	}
	if err != nil {
		finished := 0
		for _, t := range results {
			if t != nil {
				finished++
			}
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			// The tasks go on: say so, and how to stop them.
			if len(tasks) == 1 {
				return exitCode(130, fmt.Sprintf("interrupted: task %s goes on (drover cancel %s stops it)", ids[0], ids[0]))
			}
			return exitCode(130, fmt.Sprintf("interrupted: %d of %d task(s) finished; the others go on (drover cancel stops them)", finished, len(tasks)))
		}
		if ctx.Err() != nil {
			return exitCode(exitTimedOut, fmt.Sprintf("wait: timed out after %s: %d of %d task(s) finished", timeout, finished, len(tasks)))
		}
		if errors.Is(err, store.ErrUnknownTask) {
			return exitCode(1, strings.Replace(err.Error(), ": "+store.ErrUnknownTask.Error(), " not found", 1))
		}
		return fmt.Errorf("wait: %w", err)
	}
	if report != nil {
		list := make([]client.TaskJSON, len(ids))
		for i, id := range ids {
			list[i] = client.TaskJSONOf(results[strings.ToUpper(id)])
		}
		if err := writeJSON(report, list); err != nil {
			return err
		}
	}
	for _, id := range ids {
		t := results[strings.ToUpper(id)]
		switch {
		case showOutput && live != nil && live.attempt > 0:
			live.catchUp(t) // what came after the last publication
		case showOutput:
			fmt.Fprint(stdout, t.Stdout)
			fmt.Fprint(stderr, t.Stderr)
			noteCut(stderr, t, t.Attempt, t.Stdout, t.Stderr)
		}
		if t.State == store.StateSucceeded || code != 0 {
			continue
		}
		code = 1
		if t.ExitCode != nil && *t.ExitCode > 0 && *t.ExitCode < 256 {
			code = *t.ExitCode
		}
		msg = fmt.Sprintf("task %s %s", id, t.State)
		switch {
		case t.Error == string(t.State):
			// A cancel's error is "cancelled": said once, not "cancelled: cancelled".
		case strings.HasPrefix(t.Error, string(t.State)+": "):
			msg = fmt.Sprintf("task %s %s", id, shown(t.Error))
		case t.Error != "":
			msg += ": " + shown(t.Error)
		case t.ExitCode != nil:
			msg += fmt.Sprintf(" with exit code %d", *t.ExitCode)
		}
	}
	if code != 0 {
		if showOutput && msg != "" && !strings.Contains(msg, "exit code") {
			return exitCode(code, msg)
		}
		if !showOutput {
			return exitCode(code, msg)
		}
		return exitCode(code, "")
	}
	return nil
}

// errChanged is a submit -f file found other when read again to be sent.
var errChanged = errors.New("not as it was when checked")

// specInput is submit -f's input, read twice: once to check every line,
// once to send them.
type specInput struct {
	first io.Reader                 // the check's read
	again func() (io.Reader, error) // the send's, from the start again
	close func()
	kept  *keeping // the temporary copy's writer, nil for a regular file
}

// failed is the copy's failure (errKeep's), if any: the check's read then
// ended in it, or in a line it cut.
func (in *specInput) failed() error {
	if in.kept == nil {
		return nil
	}
	return in.kept.err
}

// openSpecs opens submit -f's input: a regular file (standard input too,
// `< tasks.jsonl`) is read again from where it started; anything else (a
// pipe: `-f -` from one, `-f <(gen)`, a FIFO) is kept in a temporary file
// as the check reads it, removed when closed: an input refused at its first
// line (/dev/zero) is not copied whole first. A failure to keep it is
// errKeep's.
func openSpecs(name string) (*specInput, error) {
	f, done, err := openInput(name)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if start, err := f.Seek(0, io.SeekCurrent); err == nil {
			again := func() (io.Reader, error) {
				_, err := f.Seek(start, io.SeekStart)
				return f, err
			}
			return &specInput{first: f, again: again, close: done}, nil
		}
	}
	tmp, err := os.CreateTemp("", "drover-submit-*.jsonl")
	if err != nil {
		done()
		return nil, fmt.Errorf("%w: %w", errKeep, err)
	}
	// Unlinked at once, read through its descriptor: a Ctrl-C, which
	// ends the process before any defer, left it (env values and all).
	_ = os.Remove(tmp.Name())
	again := func() (io.Reader, error) {
		_, err := tmp.Seek(0, io.SeekStart)
		return tmp, err
	}
	kept := &keeping{w: tmp}
	return &specInput{first: io.TeeReader(f, kept), again: again, kept: kept,
		close: func() { done(); tmp.Close() }}, nil
}

// keeping writes the temporary copy of an input, its failure errKeep's.
type keeping struct {
	w   io.Writer
	err error
}

func (k *keeping) Write(p []byte) (int, error) {
	n, err := k.w.Write(p)
	if err != nil && k.err == nil {
		k.err = fmt.Errorf("%w: %w", errKeep, err)
	}
	return n, k.err
}

// errKeep is a failure to keep a pipe's tasks in a temporary file: the
// host's (TMPDIR), not the input's.
var errKeep = errors.New("keep the input in a temporary file to read it twice")

// submitChunk is how many tasks one Submit call carries in submit -f: one
// transaction's worth (store.MaxBatch), so that an interrupt sends no
// further transaction while the one in flight gets its grace (graceCtx).
const submitChunk = store.MaxBatch

// progress returns a function advancing a progress bar on the command's stderr.
func progress(cmd *cobra.Command, total int, what string) func(int) {
	return progressTo(cmd.ErrOrStderr(), total, what)
}

// progressTo shows a progress bar on w when it is a terminal and there is more
// than one item; otherwise it returns a no-op.
func progressTo(w io.Writer, total int, what string) func(int) {
	f, ok := w.(*os.File)
	if !ok || total < 2 || !isatty.IsTerminal(f.Fd()) {
		return func(int) {}
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	return func(n int) { _ = bar.Add(n) }
}
