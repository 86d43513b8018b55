package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
			return usageErr("%v", err)
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
// does: what submit -f printed, or an ls -o json piped through jq.
func newManageCmd(g *globals, use, short, verb string, op func(*client.Client, string) (*store.Task, error)) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   use + " ID... | " + use + " -f FILE",
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := fileFlagErr(cmd, file); err != nil {
				return err
			}
			if file == "" {
				if err := taskIDsArg(cmd, args); err != nil {
					return err
				}
			}
			for _, id := range args {
				if err := checkTaskID(id); err != nil {
					return usageErr("%v", err)
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
				if len(args) == 0 {
					from := shown(file)
					if file == "-" {
						from = "standard input"
					}
					return usageErr("%s: no task ids given (%s holds none)", use, from)
				}
			}
			return g.withReader(func(ctx context.Context, c *client.Client) error {
				var failed error
				var done []client.TaskJSON
				// report writes, with -o json, the tasks acted on.
				report := func() error {
					if g.output != "json" {
						return nil
					}
					return writeJSON(cmd.OutOrStdout(), append([]client.TaskJSON{}, done...))
				}
				ids := uniqueIDs(args)
				for i, id := range ids {
					if ctx.Err() != nil {
						// Interrupted: the ids from here on are left as they
						// are (every one was acted on, exit 0, before).
						_ = report()
						return exitCode(130, fmt.Sprintf("%s: interrupted: %d of %d done%s", use, i, len(ids), notDone(verb, ids[i:])))
					}
					t, err := op(c, id)
					if err != nil && ctx.Err() != nil {
						// Interrupted in it: its error is the interrupt's.
						_ = report()
						return exitCode(130, fmt.Sprintf("%s: interrupted: %d of %d done; whether %s was %s is unknown%s", use, i, len(ids), id, verb, notDone(verb, ids[i+1:])))
					}
					switch {
					case errors.Is(err, store.ErrUnknownTask):
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
				if err := report(); err != nil {
					return err
				}
				return failed
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "read task ids from a file, one per line (- for stdin), as wait -f does")
	onlyOnce(cmd.Flags(), "file", "one file only (join them: cat A B | drover "+use+" -f -)")
	return cmd
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

func newCancelCmd(g *globals) *cobra.Command {
	return newManageCmd(g, "cancel", "Cancel tasks: queued ones leave the queue, running ones are killed",
		"cancelled", (*client.Client).Cancel)
}

func newRetryCmd(g *globals) *cobra.Command {
	return newManageCmd(g, "retry", "Queue finished (dead, failed or cancelled) tasks for one more attempt",
		"queued", (*client.Client).Retry)
}
