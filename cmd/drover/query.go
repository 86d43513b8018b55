package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

func taskIDArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageErr("%s: want exactly one task id", cmdName(cmd))
	}
	if err := checkTaskID(args[0]); err != nil {
		return usageErr("%s: %v", cmdName(cmd), err)
	}
	return nil
}

// notFoundWhy says where a task no look finds may have gone.
const notFoundWhy = "not submitted to this cluster (--root, --zk), its result pruned by retention, or moved aside as malformed: drover deadletter ls"

func lookup(g *globals, id string) (t *store.Task, err error) { return lookupThen(g, id, nil) }

// lookupThen is lookup, then, on the same connection, then (when not nil).
func lookupThen(g *globals, id string, then func(context.Context, *client.Client, *store.Task)) (t *store.Task, err error) {
	err = g.withReader(func(ctx context.Context, c *client.Client) error {
		t, err = c.Status(ctx, id)
		if errors.Is(err, store.ErrUnknownTask) {
			return exitCode(1, fmt.Sprintf("task %s not found (%s)", id, notFoundWhy))
		}
		if err == nil && then != nil {
			then(ctx, c, t)
		}
		return err
	})
	return t, err
}

// waitsFor says why a queued task may wait for ever: no scheduler is
// running, or no registered worker has its labels and runs what it runs.
// "" when neither (or the workers cannot be read: the status stands
// without the hint).
func waitsFor(ctx context.Context, c *client.Client, t *store.Task) string {
	why := waitsForWorker(ctx, c, t)
	if after := waitsForAfter(ctx, c, t); after != "" {
		if why != "" {
			why = "; and " + why
		}
		why = after + why
	}
	if _, err := c.Leader(ctx); errors.Is(err, client.ErrNoLeader) {
		// Nothing places it, whatever the workers: say so first.
		if why != "" {
			why = "; and " + why
		}
		return "for a scheduler: no scheduler is running (start one: drover scheduler, or drover dev)" + why
	}
	return why
}

// waitsForAfter says which of the tasks a first attempt runs after
// (--after) have not succeeded yet, with their states; "" when none, or
// none could be read.
func waitsForAfter(ctx context.Context, c *client.Client, t *store.Task) string {
	if len(t.History) > 0 {
		return "" // held only before its first attempt
	}
	var not []string
	for _, id := range t.After {
		dep, err := c.Status(ctx, id)
		switch {
		case errors.Is(err, store.ErrUnknownTask):
			not = append(not, id+" (not found)")
		case err != nil:
		case dep.State != store.StateSucceeded:
			not = append(not, id+" ("+string(dep.State)+")")
		}
	}
	if len(not) == 0 {
		return ""
	}
	return "for " + strings.Join(not, ", ") + " to succeed (--after)"
}

// waitsForWorker is waitsFor's answer from the workers alone.
func waitsForWorker(ctx context.Context, c *client.Client, t *store.Task) string {
	return readFleet(ctx, c).waits(t)
}

// fleet is the registered workers, read once to ask of many tasks
// whether one would run them (fleet.waits).
type fleet struct {
	ws []client.WorkerStatus
	m  *scheduler.Matcher
	// unsure: a registration could not be read (not readable with these
	// credentials, of a newer Drover), or none could: it may run them.
	unsure bool
}

// readFleet reads the registrations (not Workers: they list every
// worker's assignments).
func readFleet(ctx context.Context, c *client.Client) *fleet {
	ws, skipped, err := c.Registrations(ctx)
	if err != nil || skipped > 0 {
		return &fleet{unsure: true}
	}
	infos := make([]*store.WorkerInfo, len(ws))
	for i := range ws {
		infos[i] = &ws[i].WorkerInfo
	}
	return &fleet{ws: ws, m: scheduler.NewMatcher(infos)}
}

// waits is why t would wait for a worker, "" when one would run it (or
// it cannot be told).
func (f *fleet) waits(t *store.Task) string {
	ws := f.ws
	if f.unsure {
		// One it could not read may run it: no claim that none does.
		return ""
	}
	if len(ws) == 0 {
		return "for a worker: none is registered"
	}
	draining, takes := false, false
	f.m.Each(t, func(i int) bool {
		if ws[i].TakesWork() {
			takes = true
			return false
		}
		draining = true
		return true
	})
	switch {
	case takes:
		return ""
	case draining:
		return "for a worker: only draining or cordoned workers have its labels and run what it runs (drover workers)"
	}
	wants := ""
	if len(t.On) > 0 {
		// A label typo (gpu=ture) shows here, beside drover workers'.
		wants = "it wants " + labelsStr(t.On) + "; "
	}
	return "for a worker: no registered worker has its labels and runs what it runs (" + wants + "its program, with its variables; see drover workers -o wide)"
}

func newStatusCmd(g *globals) *cobra.Command {
	var keys []string
	cmd := &cobra.Command{
		Use:   "status ID | status --key KEY",
		Short: "Show a task's state, attempts and outcome",
		Args:  taskIDOrKey,
		RunE: func(cmd *cobra.Command, args []string) error {
			var waiting string
			t, err := lookupArgThen(g, cmd, args, keys, func(ctx context.Context, c *client.Client, t *store.Task) {
				if t.State == store.StateQueued && g.output != "json" {
					waiting = waitsFor(ctx, c, t)
				}
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return writeJSON(out, client.TaskJSONOf(t))
			}
			rows := [][]string{
				{"id", t.ID}, {"name", orDash(t.Name)}, {"state", string(t.State)},
				{"command", whatRuns(t)},
				{"attempt", attemptOf(t)},
				{"worker", orDash(t.Worker)}, {"exit code", exitStr(t)},
				{"submitted", agoAt(t.SubmittedAt)},
			}
			rows = append(rows, retryRows(t)...)
			if len(t.On) > 0 {
				// A task no worker's labels match waits for one.
				rows = append(rows, []string{"on", labelsStr(t.On)})
			}
			if d, first, ok := notDue(t); ok {
				if first {
					rows = append(rows, []string{"starts", fmtTime(t.NotBefore) + " (in " + d.Round(time.Second).String() + ")"})
				} else {
					rows = append(rows, []string{"retry in", d.Round(time.Second).String()})
				}
			}
			if t.State == store.StateQueued && t.StartByBinds() {
				// A slot's task under its schedule's starting deadline, or
				// one submitted with --starting-deadline.
				rows = append(rows, []string{"start by", fmtTime(t.StartBy) + " (else cancelled: its starting deadline)"})
			}
			if len(t.After) > 0 {
				rows = append(rows, []string{"after", strings.Join(t.After, ", ")})
			}
			if waiting != "" {
				rows = append(rows, []string{"waiting", waiting})
			}
			if !t.StartedAt.IsZero() {
				rows = append(rows, []string{"started", agoAt(t.StartedAt)})
			}
			if !t.FinishedAt.IsZero() {
				rows = append(rows, []string{"finished", agoAt(t.FinishedAt)})
			}
			if t.Error != "" {
				rows = append(rows, []string{"error", t.Error})
			}
			for _, a := range t.History {
				desc := fmt.Sprintf("worker %s, exit %d", shown(a.Worker), a.ExitCode)
				if a.Unstarted {
					desc = "worker " + shown(a.Worker) // no process, no exit code
				}
				if a.Error != "" {
					desc += ", " + shown(a.Error)
				}
				switch {
				case a.Lost && !strings.Contains(a.Error, "lost"):
					// Its worker's doing (gone, withdrawn, out of files):
					// not counted against the retries. ("worker lost
					// (lost)" said it twice.)
					desc += " (lost)"
				case a.Unstarted:
					// Placed, never started (a drain gave it back, or its
					// worker went first): neither failed nor lost.
					desc += " (never started)"
				}
				rows = append(rows, []string{fmt.Sprintf("attempt %d", a.N), desc})
			}
			return table(out, "FIELD\tVALUE", rows)
		},
	}
	keyFlag(cmd, &keys, false)
	onlyOnce(cmd.Flags(), "key", "--key names one task")
	return cmd
}

// logsJSON is logs' -o json output: the task, the attempt whose output it
// is (counted from 1, as the task's "attempt" and its history's "n") and
// that attempt's kept tail of each stream, which the table output prints
// raw on stdout and stderr.
type logsJSON struct {
	ID      string `json:"id"`
	Attempt int    `json:"attempt"`
	Stdout  string `json:"stdout"`
	Stderr  string `json:"stderr"`
	// StdoutBytes and StderrBytes are how many bytes the attempt wrote to
	// each, when known: more than its tail holds, its start was cut.
	StdoutBytes int64 `json:"stdout_bytes,omitempty"`
	StderrBytes int64 `json:"stderr_bytes,omitempty"`
}

// noteCut says on w, a line a stream, when what was printed of attempt n
// of t is the end of what it wrote only: a result keeps the last 64 KiB of
// each stream, an earlier attempt 2 KiB, and a torn start read as the
// whole (a report redirected to a file) would mislead.
func noteCut(w io.Writer, t *store.Task, n int, stdout, stderr string) {
	a, ok := attemptN(t, n)
	if !ok {
		return
	}
	for _, s := range []struct {
		name  string
		shown int
		total int64
	}{{"stdout", rawLen(stdout), a.StdoutBytes}, {"stderr", rawLen(stderr), a.StderrBytes}} {
		if s.total > int64(s.shown) {
			fmt.Fprintf(w, "drover: task %s attempt %d wrote %d bytes to %s; only the last %d were kept\n", t.ID, n, s.total, s.name, s.shown)
		}
	}
}

// attemptN is attempt n's entry in t's history.
func attemptN(t *store.Task, n int) (store.Attempt, bool) {
	i := slices.IndexFunc(t.History, func(a store.Attempt) bool { return a.N == n })
	if i < 0 {
		return store.Attempt{}, false
	}
	return t.History[i], true
}

// rawLen is how many bytes of a command's output text s stands for: the
// record holds it as UTF-8, each byte that was not replaced by U+FFFD (3
// bytes), so Latin-1 or binary output read three times as long as what
// was kept, and a cut went unsaid. (An output that held U+FFFD itself is
// taken for replaced bytes: at worst a note too many.)
func rawLen(s string) int {
	return len(s) - 2*strings.Count(s, "\uFFFD")
}

func newLogsCmd(g *globals) *cobra.Command {
	var attempt int
	var follow bool
	var keys []string
	cmd := &cobra.Command{
		Use:   "logs ID [--attempt N | -f] | logs --key KEY [...]",
		Short: "Print the tail of a finished task's stdout and stderr, or of one of its attempts; -f prints a running task's output as it comes",
		Args:  taskIDOrKey,
		RunE: func(cmd *cobra.Command, args []string) error {
			// 0 is the default, "not given": the last attempt. Given, it
			// names none (attempts count from 1).
			if cmd.Flags().Changed("attempt") && attempt < 1 {
				return usageErr("--attempt %d: attempts count from 1 (leave the flag out for the last)", attempt)
			}
			if follow && cmd.Flags().Changed("attempt") {
				return usageErr("-f follows the task's attempts as they run; --attempt %d prints one that ended: give one of them", attempt)
			}
			if follow && g.output == "json" {
				return usageErr("-f prints the output as it comes, raw; -o json prints a finished task's (leave -f out)")
			}
			if follow {
				id, err := taskArg(g, cmd, args, keys)
				if err != nil {
					return err
				}
				return followLogs(cmd, g, id)
			}
			t, err := lookupArgThen(g, cmd, args, keys, nil)
			if err != nil {
				return err
			}
			return printLogs(cmd, g, t, attempt)
		},
	}
	cmd.Flags().IntVar(&attempt, "attempt", 0, "print attempt N's output tail, counted from 1 (default the last that ran; the last "+fmt.Sprint(store.AttemptsWithTail)+" attempts that ran keep "+fmt.Sprint(store.AttemptTail>>10)+" KiB of each stream)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "print the output as the task's attempts run, until it ends (exit 0 however it ended: drover wait tells)")
	keyFlag(cmd, &keys, false)
	onlyOnce(cmd.Flags(), "key", "--key names one task")
	return cmd
}

// printLogs prints the output of attempt n of task t (0: the last that ran).
func printLogs(cmd *cobra.Command, g *globals, t *store.Task, attempt int) error {
	stdout, stderr, shown := t.Stdout, t.Stderr, t.Attempt
	// A task cancelled while queued never ran its last attempt:
	// its result holds no output of its own.
	ranLast := slices.ContainsFunc(t.History, func(a store.Attempt) bool { return a.N == t.Attempt && !a.Unstarted })
	last := t.LastRan() // not one that ended unstarted
	if attempt == 0 && t.State.Terminal() && !ranLast && last >= 0 {
		attempt = t.History[last].N
		fmt.Fprintf(cmd.ErrOrStderr(), "drover: attempt %d never ran; the output of attempt %d:\n", t.Attempt, attempt)
	}
	switch {
	case attempt > 0 && !(t.State.Terminal() && attempt == t.Attempt && ranLast):
		// An earlier attempt (the last one's result keeps more).
		i := slices.IndexFunc(t.History, func(a store.Attempt) bool { return a.N == attempt })
		if i < 0 {
			return exitCode(1, fmt.Sprintf("task %s has no finished attempt %d", t.ID, attempt))
		}
		a := t.History[i]
		if a.Unstarted {
			return exitCode(1, fmt.Sprintf("task %s's attempt %d never started (%s): it has no output", t.ID, attempt, a.Error))
		}
		ranAfter := 0
		for _, b := range t.History[i+1:] {
			if !b.Unstarted {
				ranAfter++
			}
		}
		if a.Stdout == "" && a.Stderr == "" && ranAfter >= store.AttemptsWithTail {
			fmt.Fprintf(cmd.ErrOrStderr(), "drover: attempt %d's output was not kept (the last %d attempts keep %d KiB of each stream)\n",
				attempt, store.AttemptsWithTail, store.AttemptTail>>10)
		}
		stdout, stderr, shown = a.Stdout, a.Stderr, a.N
	case !t.State.Terminal():
		return exitCode(1, fmt.Sprintf("task %s is still %s (-f prints its output as it runs; --attempt N shows a finished attempt)", t.ID, t.State))
	}
	if g.output == "json" {
		// Both streams in one object on stdout, as every other
		// command's -o json: the raw text was no JSON.
		v := logsJSON{ID: t.ID, Attempt: shown, Stdout: stdout, Stderr: stderr}
		if a, ok := attemptN(t, shown); ok {
			v.StdoutBytes, v.StderrBytes = a.StdoutBytes, a.StderrBytes
		}
		return writeJSON(cmd.OutOrStdout(), v)
	}
	fmt.Fprint(cmd.OutOrStdout(), stdout)
	fmt.Fprint(cmd.ErrOrStderr(), stderr)
	noteCut(cmd.ErrOrStderr(), t, shown, stdout, stderr)
	return nil
}

// notDue says how long a queued task waits still for its not_before, and
// whether that is its first attempt's start (submitted with --at or --in)
// rather than a retry's backoff; ok is false when it is due.
func notDue(t *store.Task) (d time.Duration, first, ok bool) {
	d = time.Until(t.NotBefore)
	if t.State != store.StateQueued || d <= 0 {
		return 0, false, false
	}
	return d, len(t.History) == 0 && t.Attempt == 1, true
}

// lsState is a task's state as ls shows it: a queued task not due yet
// says when it is, so a delayed start or a backoff is not taken for a
// stuck queue; a first attempt that runs after other tasks (--after)
// says how many (status says which it still waits for).
func lsState(t *store.Task) string {
	d, first, ok := notDue(t)
	switch {
	case !ok && t.State == store.StateQueued && len(t.History) == 0 && t.Attempt == 1 && len(t.After) == 1:
		return "queued (after 1 task)"
	case !ok && t.State == store.StateQueued && len(t.History) == 0 && t.Attempt == 1 && len(t.After) > 1:
		return fmt.Sprintf("queued (after %d tasks)", len(t.After))
	case !ok:
		return string(t.State)
	case first:
		return "queued (starts in " + d.Round(time.Second).String() + ")"
	default:
		return "queued (retry in " + d.Round(time.Second).String() + ")"
	}
}

func newLsCmd(g *globals) *cobra.Command {
	var state string
	var filter client.TaskFilter
	var limit, scan int
	var quiet bool
	cmd := &cobra.Command{
		Use:   "ls [--state S] [--name GLOB] [--worker ID] [--schedule NAME] [--before ID] [--limit N] [--scan N] [-q]",
		Short: "List tasks, newest first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := onceErr(cmd); err != nil {
				return err
			}
			if quiet && g.output != "table" {
				return usageErr("ls: --quiet prints the ids alone: not with -o %s", g.output)
			}
			var states []store.State
			if state != "" {
				var err error
				if states, err = client.ParseStates(state); err != nil {
					return usageErr("--state: %s", messageOf(err))
				}
			}
			if limit < 0 {
				return usageErr("--limit %d: must not be negative", limit)
			}
			if err := lsFilter(cmd, filter); err != nil {
				return err
			}
			if scan < 0 {
				return usageErr("--scan %d: must not be negative", scan)
			}
			// One task more than shown tells whether more match.
			ask := limit
			if limit > 0 {
				ask = limit + 1
			}
			if !cmd.Flags().Changed("scan") {
				if limit == 0 {
					scan = 0 // all, as asked
				} else {
					scan = max(scan, ask)
				}
			}
			return g.withReader(func(ctx context.Context, c *client.Client) error {
				opt := client.ListOptions{States: states, Limit: ask, Budget: scan, Filter: filter}
				if g.output != "json" {
					// A table shows no output, payload, env or history: let
					// them go as each record is read (2,000 tasks' output
					// held to the end were 350 MB; a --limit 0 of a million,
					// tens of GB).
					opt.Slim = tableSlim(g.output == "wide")
				}
				res, err := c.ListTasks(ctx, opt)
				if err != nil {
					return err
				}
				tasks := res.Tasks
				if res.Skipped > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "drover: skipped %d unreadable task record(s): malformed, of a newer Drover, or not readable with these credentials\n", res.Skipped)
				}
				more := len(tasks) > limit && limit > 0
				if more {
					tasks = tasks[:limit]
					fmt.Fprintf(cmd.ErrOrStderr(), "drover: the newest %d shown; more match (--limit N shows more, --limit 0 all, --before %s the next page)\n", limit, tasks[len(tasks)-1].ID)
				}
				// A full page of the newest (res.Exact) lacks nothing: only
				// whether more match may be unknown.
				full := limit > 0 && len(tasks) == limit && res.Exact >= limit
				switch {
				case res.Truncated && full && !more:
					fmt.Fprintf(cmd.ErrOrStderr(), "drover: the newest %d shown; whether more match is unknown: stopped after reading %d task record(s) (--scan 0 reads them all)\n", limit, res.Scanned)
				case res.Truncated && !full:
					fmt.Fprintf(cmd.ErrOrStderr(), "drover: stopped after reading %d task record(s) (--scan); matching tasks may be missing (--scan 0 reads them all)\n", res.Scanned)
				}
				out := cmd.OutOrStdout()
				if quiet {
					w := bufio.NewWriter(out)
					for _, t := range tasks {
						fmt.Fprintln(w, t.ID)
					}
					return w.Flush()
				}
				if g.output == "json" {
					list := make([]client.TaskJSON, len(tasks))
					for i, t := range tasks {
						list[i] = client.TaskJSONOf(t)
					}
					return writeJSON(out, list)
				}
				rows := make([][]string, len(tasks))
				for i, t := range tasks {
					rows[i] = []string{t.ID, orDash(t.Name), lsState(t), fmt.Sprint(t.Attempt), orDash(t.Worker), exitStr(t), ago(t.SubmittedAt)}
					if g.output == "wide" {
						rows[i] = append(rows[i], t.Priority.String(), labelsStr(t.On), ago(t.FinishedAt), orDash(t.Error), whatRuns(t))
					}
				}
				header := "ID\tNAME\tSTATE\tATTEMPT\tWORKER\tEXIT\tSUBMITTED"
				if g.output == "wide" {
					header += "\tPRIORITY\tON\tFINISHED\tERROR\tCOMMAND"
				}
				return table(out, header, rows)
			})
		},
	}
	choiceListVar(cmd.Flags(), &state, "state", "", "only tasks in this state: queued, assigned, running, succeeded, failed, cancelled or dead; several joined by commas (failed,dead): in any of them",
		string(store.StateQueued), string(store.StateAssigned), string(store.StateRunning), string(store.StateSucceeded),
		string(store.StateFailed), string(store.StateCancelled), string(store.StateDead))
	cmd.Flags().StringVar(&filter.Name, "name", "", "only tasks whose name matches this glob (* ? [...], as a shell matches a file name)")
	cmd.Flags().StringVar(&filter.Worker, "worker", "", "only tasks placed on this worker (their current or last attempt)")
	cmd.Flags().StringVar(&filter.Schedule, "schedule", "", "only the runs of this schedule")
	cmd.Flags().StringVar(&filter.Before, "before", "", "only tasks submitted before this task id: the next page after the last id shown")
	commandLineOnly(cmd.Flags(), "state", "name", "worker", "schedule", "before")
	// Given twice, pflag keeps the last: ls --state failed --state dead
	// listed the dead alone (review204).
	onlyOnce(cmd.Flags(), "state", "give it once, several states joined by commas (--state failed,dead)")
	for _, name := range []string{"name", "worker", "schedule", "before"} {
		onlyOnce(cmd.Flags(), name, "one value only: each filter takes one, and a task must match every filter given")
	}
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many tasks (0: all)")
	cmd.Flags().IntVar(&scan, "scan", 10000, "read at most this many task records (0: no bound; by default at least --limit, and no bound with --limit 0)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the ids, one a line (drover ls --state dead --limit 0 -q | drover retry -f -)")
	return cmd
}

// lsFilter checks ls's --name, --worker, --schedule and --before: each
// given empty, or not well formed, is bad input.
func lsFilter(cmd *cobra.Command, f client.TaskFilter) error {
	for _, name := range []string{"name", "worker", "schedule", "before"} {
		if v, _ := cmd.Flags().GetString(name); cmd.Flags().Changed(name) && v == "" {
			return usageErr("--%s \"\": want a value (leave the flag out for every task)", name)
		}
	}
	if _, err := f.Match(); err != nil {
		return usageErr("--%s", strings.TrimPrefix(err.Error(), client.ErrInvalid.Error()+": "))
	}
	return nil
}

// tableSlim drops from a task record what `ls`'s table (wide or not) does
// not show.
func tableSlim(wide bool) func(*store.Task) {
	return func(t *store.Task) {
		t.Payload, t.Stdout, t.Stderr, t.History, t.Env = nil, "", "", nil, nil
		if !wide {
			t.Cmd = nil // shown only in wide's COMMAND
		}
	}
}

func newWorkersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "workers",
		Short: "List the registered workers; cordon or uncordon one",
		Args:  subcommandArgs, // drover workers alone lists them
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withReader(func(ctx context.Context, c *client.Client) error {
				ws, cordons, skipped, err := c.ListWorkersCordons(ctx)
				if err != nil {
					return err
				}
				if skipped > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "drover: skipped %d unreadable worker registration(s) (or their assignments, or the cordons): malformed, which a leader moves to deadletter (drover deadletter ls), of a newer Drover, or not readable with these credentials\n", skipped)
				}
				if skipped == 0 { // else a registration not read may be a cordon's
					noteStrayCordons(cmd.ErrOrStderr(), cordons, ws)
				}
				out := cmd.OutOrStdout()
				if g.output == "json" {
					if ws == nil {
						ws = []client.WorkerStatus{}
					}
					return writeJSON(out, ws)
				}
				rows := make([][]string, len(ws))
				header := "ID\tHOST\tLABELS\tCAPACITY\tRUNNING\tWAITING\tVERSION"
				if g.output == "wide" {
					header += "\tRUNS"
				}
				header += "\tSTATE"
				for i, w := range ws {
					capacity := fmt.Sprint(w.Capacity)
					if w.Prefetch > 0 {
						// Slots, then how many may wait for one (WAITING).
						capacity += fmt.Sprintf("+%d", w.Prefetch)
					}
					version := w.Version
					if version == "" {
						version = "-" // embedded without worker.Config.Version
					}
					rows[i] = []string{w.ID, w.Host, labelsStr(w.Labels), capacity, fmt.Sprint(w.Running), fmt.Sprint(w.Waiting), version}
					if g.output == "wide" {
						rows[i] = append(rows[i], runsStr(w.WorkerInfo))
					}
					rows[i] = append(rows[i], workerState(w, g.output == "wide"))
				}
				return table(out, header, rows)
			})
		},
	}
	cmd.AddCommand(newCordonCmd(g), newUncordonCmd(g))
	return cmd
}

// strayCordonsNamed bounds the cordons noteStrayCordons names.
const strayCordonsNamed = 10

// noteStrayCordons says on stderr which cordons name no registered worker
// (one set ahead of a worker, or left after it went), which the table,
// a list of workers, cannot show: they are lifted by name alone. cordons
// are those read with ws (ListWorkersCordons): a second read of them all
// here doubled what drover workers asked of ZooKeeper.
func noteStrayCordons(stderr io.Writer, cordons map[string]*store.Cordon, ws []client.WorkerStatus) {
	registered := make(map[string]bool, len(ws))
	for _, w := range ws {
		registered[w.ID] = true
	}
	var ids []string
	for id := range cordons {
		if !registered[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	more := ""
	if len(ids) > strayCordonsNamed {
		more = fmt.Sprintf(" and %d more", len(ids)-strayCordonsNamed)
		ids = ids[:strayCordonsNamed]
	}
	fmt.Fprintln(stderr, printable(fmt.Sprintf("drover: cordoned, and not registered: %s%s (a worker of that id gets no work when it registers; drover workers uncordon ID lifts a cordon)",
		strings.Join(ids, ", "), more)))
}

// workerState is a worker's STATE: up, or why the leader places nothing
// more on it (draining, cordoned, or both); wide adds a cordon's note, who
// set it and when.
func workerState(w client.WorkerStatus, wide bool) string {
	var parts []string
	if w.Cordon != nil {
		c := "cordoned"
		if wide {
			var about []string
			if w.Cordon.Note != "" {
				about = append(about, strconv.Quote(w.Cordon.Note))
			}
			if w.Cordon.By != "" {
				about = append(about, "by "+w.Cordon.By)
			}
			if !w.Cordon.Since.IsZero() {
				about = append(about, ago(w.Cordon.Since))
			}
			if len(about) > 0 {
				c += " (" + strings.Join(about, ", ") + ")"
			}
		}
		parts = append(parts, c)
	}
	if w.Draining {
		parts = append(parts, "draining")
	}
	if len(parts) == 0 {
		return "up"
	}
	return strings.Join(parts, ", ")
}

// workerIDsArg checks the worker ids a command takes, one or more.
func workerIDsArg(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usageErr("%s: want one or more worker ids", cmdName(cmd))
	}
	for _, id := range args {
		if err := store.ValidateNodeName(id); err != nil {
			return usageErr("worker id: %v", err)
		}
	}
	return nil
}

// cordonChange is one line of cordon's and uncordon's -o json.
type cordonChange struct {
	Worker   string `json:"worker"`
	Cordoned bool   `json:"cordoned"`
	// Already (cordon): it was cordoned before; the cordon in place stays.
	Already bool `json:"already,omitempty"`
	// WasCordoned (uncordon): there was a cordon to lift.
	WasCordoned *bool `json:"was_cordoned,omitempty"`
	// Registered (cordon): a worker of that id is registered now; false,
	// the cordon waits for one; left out when not known (a registration
	// could not be read).
	Registered *bool `json:"registered,omitempty"`
}

// changeCordons applies op to each worker id named, once each, as cancel
// does to tasks: it says what it did for each, and exits 1 when any
// failed; an interrupt exits 130 naming the ids it did not get to.
func changeCordons(cmd *cobra.Command, g *globals, args []string, verb string, op func(ctx context.Context, c *client.Client, id string) (cordonChange, string, error)) error {
	var ids []string // each once, at its first place: w1 w2 w1 acts on w1 once
	for _, id := range args {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return g.withReader(func(ctx context.Context, c *client.Client) error {
		var done []cordonChange
		var failed error
		// report writes, with -o json, the ids acted on (an interrupted
		// command too, as cancel's).
		report := func() error {
			if g.output != "json" {
				return nil
			}
			return writeJSON(cmd.OutOrStdout(), append([]cordonChange{}, done...))
		}
		for i, id := range ids {
			if ctx.Err() != nil {
				_ = report()
				return exitCode(130, fmt.Sprintf("workers %s: interrupted: %d of %d done%s", verb, i, len(ids), notDone(verb+"ed", ids[i:])))
			}
			ch, msg, err := op(ctx, c, id)
			if err != nil && ctx.Err() != nil {
				_ = report()
				return exitCode(130, fmt.Sprintf("workers %s: interrupted: %d of %d done; whether %s was %sed is unknown%s", verb, i, len(ids), id, verb, notDone(verb+"ed", ids[i+1:])))
			}
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "drover: "+printable(oneLine("workers "+verb+": "+err.Error())))
				failed = exitCode(1, "")
				continue
			}
			done = append(done, ch)
			if g.output != "json" {
				fmt.Fprintln(cmd.OutOrStdout(), printable(msg))
			}
		}
		if err := report(); err != nil {
			return err
		}
		return failed
	})
}

func newCordonCmd(g *globals) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "cordon ID... [--note TEXT]",
		Short: "Place no new work on workers until uncordoned; what they run goes on",
		Long: `Cordon workers: the leader places no new work on them, as on a draining
worker, until "drover workers uncordon ID". Unlike a drain (SIGTERM), a
worker keeps running, and so do the tasks placed on it already (prefetched
ones too); the cordon holds across the worker's restarts and a leader's
failover. The worker need not be registered yet.`,
		Args: workerIDsArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := store.ValidateCordonNote(note); err != nil {
				// "note: longer than 512 bytes: invalid name" said as
				// "--note: longer than 512 bytes": a note is no name.
				msg := strings.TrimSuffix(err.Error(), ": "+store.ErrInvalidName.Error())
				return usageErr("--note%s", strings.TrimPrefix(msg, "note"))
			}
			var registered map[string]bool // nil: not known
			return changeCordons(cmd, g, args, "cordon", func(ctx context.Context, c *client.Client, id string) (cordonChange, string, error) {
				existing, err := store.Await(ctx, func() (*store.Cordon, error) { return c.CordonWorker(ctx, id, note) })
				if err != nil {
					return cordonChange{}, "", err
				}
				if registered == nil {
					registered = registeredIDs(ctx, c)
				}
				reg, known := registered[id], !registered[""]
				ch := cordonChange{Worker: id, Cordoned: true, Already: existing != nil}
				if known {
					ch.Registered = &reg // left out when not known
				}
				msg := "cordoned " + id
				if existing != nil {
					msg = id + " was cordoned already"
					if existing.Note != "" {
						msg += " (" + strconv.Quote(existing.Note) + ")"
					}
				}
				if known && !reg {
					msg += "; no worker of that id is registered now: the cordon holds when one registers"
				}
				return ch, msg, nil
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", fmt.Sprintf("why, for drover workers -o wide (at most %d bytes)", store.MaxCordonNote))
	return cmd
}

// registeredIDs is the set of registered worker ids, with "" in it when
// which are registered is not known (a read failed, or a registration
// could not be read): then nothing is said of any.
func registeredIDs(ctx context.Context, c *client.Client) map[string]bool {
	ws, skipped, err := c.Registrations(ctx)
	if err != nil || skipped > 0 {
		return map[string]bool{"": true}
	}
	ids := make(map[string]bool, len(ws))
	for _, w := range ws {
		ids[w.ID] = true
	}
	return ids
}

func newUncordonCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "uncordon ID...",
		Short: "Lift workers' cordons: the leader places work on them again",
		Args:  workerIDsArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			return changeCordons(cmd, g, args, "uncordon", func(ctx context.Context, c *client.Client, id string) (cordonChange, string, error) {
				was, err := store.Await(ctx, func() (bool, error) { return c.UncordonWorker(ctx, id) })
				if err != nil {
					return cordonChange{}, "", err
				}
				msg := "uncordoned " + id
				if !was {
					msg = id + " was not cordoned"
				}
				return cordonChange{Worker: id, WasCordoned: &was}, msg, nil
			})
		},
	}
}

func newLeaderCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "leader",
		Short: "Show the leading scheduler, its epoch and the standbys",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withReader(func(ctx context.Context, c *client.Client) error {
				l, err := c.Leader(ctx)
				if errors.Is(err, client.ErrNoLeader) {
					return exitCode(1, "no scheduler is running: start one with `drover scheduler` or `drover dev`")
				}
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				epoch := fmt.Sprint(l.Epoch)
				if l.EpochError != "" {
					// The leader is known from the election; only its
					// epoch is not: say why, show the rest, exit 0.
					epoch = "?"
					fmt.Fprintf(cmd.ErrOrStderr(), "drover: warning: epoch shown as ?: %s\n", oneLine(l.EpochError))
				}
				wide := g.output == "wide" // adds where each serves its dashboard and metrics
				// A scheduler whose record does not decode is in line all
				// the same: shown as ?, with why.
				row := func(role string, s client.SchedulerInfo, epoch string) []string {
					if s.RecordError != "" {
						fmt.Fprintf(cmd.ErrOrStderr(), "drover: warning: %s shown as ?: %s\n", role, oneLine(s.RecordError))
						r := []string{role, "?", "?", "?", epoch, "?"}
						if wide {
							r = append(r, "?")
						}
						return r
					}
					v := s.Version
					if v == "" {
						v = "-" // a release before 2026-12-04 does not say
					}
					r := []string{role, s.ID, s.Host, fmt.Sprint(s.PID), epoch, v}
					if wide {
						r = append(r, orDash(s.HTTP)) // none served, or a release before 2026-12-06
					}
					return r
				}
				if g.output == "json" {
					for _, s := range append([]client.SchedulerInfo{l.SchedulerInfo}, l.Standbys...) {
						if s.RecordError != "" {
							fmt.Fprintf(cmd.ErrOrStderr(), "drover: warning: a scheduler's record is unreadable: %s\n", oneLine(s.RecordError))
						}
					}
					return writeJSON(out, l)
				}
				rows := [][]string{row("leader", l.SchedulerInfo, epoch)}
				for _, s := range l.Standbys {
					rows = append(rows, row("standby", s, "-"))
				}
				header := "ROLE\tID\tHOST\tPID\tEPOCH\tVERSION"
				if wide {
					header += "\tHTTP"
				}
				return table(out, header, rows)
			})
		},
	}
}

// checkTaskID validates a task id as typed, in either case, and says what
// is wrong with it as typed (not upper-cased, as it was), without the
// sentinel's text ("invalid name").
func checkTaskID(id string) error {
	if store.ValidateTaskID(strings.ToUpper(id)) == nil {
		return nil
	}
	return errors.New(nameError(store.ValidateTaskID(id)))
}

// nameError is err's text without store.ErrInvalidName's at its end.
func nameError(err error) string {
	return strings.TrimSuffix(err.Error(), ": "+store.ErrInvalidName.Error())
}
