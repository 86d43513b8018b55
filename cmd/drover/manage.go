package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

func taskIDsArg(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usageErr("%s: want one or more task ids", cmdName(cmd))
	}
	for _, id := range args {
		if err := checkTaskID(id); err != nil {
			return usageErr("%s: %v", cmdName(cmd), err)
		}
	}
	return nil
}

// uniqueIDs is ids with each task once, at its first appearance: ids
// name the same task in either case.
func uniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	var out []string
	for _, id := range ids {
		if k := strings.ToUpper(id); !seen[k] {
			seen[k] = true
			out = append(out, id)
		}
	}
	return out
}

// newManageCmd builds cancel and retry: each applies op to every task named
// and exits 1 if any could not be done. A task named twice is acted on once,
// as wait waits for it once: cancel X X cancelled X, then failed on it, exit
// 1, and retry X X of a task that fails fast ran it twice more.
// With -f it also reads ids from a file (or standard input), as wait -f
// does: what submit -f printed, or what ls -q prints.
func newManageCmd(g *globals, use, short, verb string, op func(*client.Client, context.Context, string) (*store.Task, error)) *cobra.Command {
	var file string
	var keys []string
	cmd := &cobra.Command{
		Use:   use + " ID... [--key KEY...] | " + use + " -f FILE",
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := fileFlagErr(cmd, file); err != nil {
				return err
			}
			if file == "" && !cmd.Flags().Changed("key") {
				if err := taskIDsArg(cmd, args); err != nil {
					return err
				}
			}
			for _, id := range args {
				if err := checkTaskID(id); err != nil {
					return usageErr("%s: %v", cmdName(cmd), err)
				}
			}
			if file != "" {
				r, closeFn, err := openInput(file)
				if err != nil {
					return usageErr("%s: %v", use, err)
				}
				read, err := readIDs(r)
				closeFn()
				if err != nil {
					return usageErr("%s: %s: %v", use, shown(file), err)
				}
				args = append(args, read...)
				if len(args) == 0 && len(keys) == 0 {
					from := shown(file)
					if file == "-" {
						from = "standard input"
					}
					return usageErr("%s: no task ids given (%s holds none)", use, from)
				}
			}
			return g.withReader(func(ctx context.Context, c *client.Client) error {
				var failed error
				// A key whose task is found nowhere, or does not decode,
				// is said, and the rest go on, as for such an id.
				for _, k := range keys {
					id, err := keyID(ctx, c, use, k)
					switch {
					case keyFailed(err):
						fmt.Fprintln(cmd.ErrOrStderr(), "drover: "+printable(oneLine(messageOf(err))))
						failed = exitCode(1, "")
					case err != nil:
						return err
					default:
						args = append(args, id)
					}
				}
				var done []client.TaskJSON
				// report writes, with -o json, the tasks acted on.
				report := func() error {
					if g.output != "json" {
						return nil
					}
					return writeJSON(cmd.OutOrStdout(), append([]client.TaskJSON{}, done...))
				}
				ids := uniqueIDs(args)
				// Up to manageInFlight tasks are acted on at once (each a
				// few round trips: one at a time, 10,000 took 15 s), their
				// outcomes printed in the order given. An interrupt starts
				// no more; those begun end with the store's close.
				type job struct {
					t    *store.Task
					err  error
					done chan struct{}
				}
				jobs := make([]*job, len(ids))
				var wg sync.WaitGroup
				defer wg.Wait()
				started := 0
				var unknown []string // begun, and cut short by the interrupt
				var unsent []string  // begun, and ended by the interrupt before it sent its write
				finished := 0
				// notFound counts the ids found nowhere; beyond the first
				// unknownShown, the text output counts them in one line
				// at the end (unknownRest).
				notFound := 0
				unknownRest := func() {
					if n := notFound - unknownShown; n > 0 && g.output != "json" {
						tasks := "tasks"
						if n == 1 {
							tasks = "task"
						}
						fmt.Fprintf(cmd.ErrOrStderr(), "drover: %s: and %d more %s not found (-o json names each)\n", use, n, tasks)
					}
				}
				for i, id := range ids {
					for ; started < len(ids) && started < i+manageInFlight && ctx.Err() == nil; started++ {
						j := &job{done: make(chan struct{})}
						jobs[started] = j
						wg.Add(1)
						go func(id string) {
							defer wg.Done()
							defer close(j.done)
							j.t, j.err = op(c, ctx, id)
						}(ids[started])
					}
					if i >= started {
						break // interrupted: the ids from here on are left as they are
					}
					<-jobs[i].done
					t, err := jobs[i].t, jobs[i].err
					if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
						// Its context's own error: the op sent no write
						// (client.Cancel, Retry), and the task is as it was.
						unsent = append(unsent, id)
						continue
					}
					if err != nil && ctx.Err() != nil && !answered(err) {
						unknown = append(unknown, id) // its error is the interrupt's
						continue
					}
					finished++
					switch {
					case errors.Is(err, store.ErrUnknownTask):
						if notFound++; notFound > unknownShown && g.output != "json" {
							failed = exitCode(1, "")
							continue
						}
						err = fmt.Errorf("task %s not found", id)
					case err == nil:
						done = append(done, client.TaskJSONOf(t))
						if g.output != "json" {
							fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", verb, id)
						}
						continue
					}
					fmt.Fprintln(cmd.ErrOrStderr(), "drover: "+printable(oneLine(use+": "+err.Error())))
					failed = exitCode(1, "")
				}
				unknownRest()
				if ctx.Err() != nil && (len(unknown) > 0 || len(unsent) > 0 || started < len(ids)) {
					_ = report()
					msg := fmt.Sprintf("%s: interrupted: %d of %d done", use, finished, len(ids))
					switch len(unknown) {
					case 0:
					case 1:
						msg += fmt.Sprintf("; whether %s was %s is unknown", unknown[0], verb)
					default:
						msg += fmt.Sprintf("; whether %s were %s is unknown", strings.Join(unknown, ", "), verb)
					}
					return exitCode(130, msg+notDone(verb, append(unsent, ids[started:]...)))
				}
				if err := report(); err != nil {
					return err
				}
				return failed
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "read task ids from a file, one per line (- for stdin), as wait -f does")
	keyFlag(cmd, &keys, true)
	onlyOnce(cmd.Flags(), "file", "one file only (join them: cat A B | drover "+use+" -f -)")
	return cmd
}

// answered reports whether err is the cluster's answer about the task (not
// found, finished, not finished), not the interrupt's cut: a task that
// failed so before an interrupt, behind a slower one, is told as it failed.
func answered(err error) bool {
	return errors.Is(err, store.ErrUnknownTask) || errors.Is(err, client.ErrFinished) || errors.Is(err, client.ErrNotFinished)
}

// notDone says which ids an interrupted command did not get to: the first
// notDoneShown of them, and how many more (a file's ids made one line of
// 270 KB for 10,000).
func notDone(verb string, ids []string) string {
	switch {
	case len(ids) == 0:
		return ""
	case len(ids) > notDoneShown:
		return fmt.Sprintf("; not %s: %s and %d more", verb, strings.Join(ids[:notDoneShown], " "), len(ids)-notDoneShown)
	}
	return fmt.Sprintf("; not %s: %s", verb, strings.Join(ids, " "))
}

// notDoneShown bounds the ids notDone names.
const notDoneShown = 20

// unknownShown is how many "task ID not found" lines cancel and retry
// print in the text output before they count the rest in one line: a file
// of 100,000 ids of another cluster (another --root, yesterday's ids
// after retention) printed 100,000 lines, the rest of the output lost in
// them. 20, as notDoneShown: a screenful with room for the other lines,
// and enough to tell a few stale ids from a file of the wrong cluster.
// -o json, which scripts read, prints every line.
const unknownShown = 20

// manageInFlight is how many tasks cancel and retry act on at once.
const manageInFlight = 16

func newCancelCmd(g *globals) *cobra.Command {
	return newManageCmd(g, "cancel", "Cancel tasks: queued ones leave the queue, running ones are killed",
		"cancelled", (*client.Client).Cancel)
}

func newRetryCmd(g *globals) *cobra.Command {
	return newManageCmd(g, "retry", "Queue finished (dead, failed or cancelled) tasks for one more attempt",
		"queued", (*client.Client).Retry)
}
