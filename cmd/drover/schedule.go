package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

func newScheduleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Manage cron schedules: add, apply, export, ls, get, rm, pause, resume, trigger, history",
		Args:  subcommandArgs,
		RunE:  wantSubcommand,
	}
	cmd.AddCommand(newScheduleAddCmd(g), newScheduleApplyCmd(g), newScheduleExportCmd(g), newScheduleLsCmd(g),
		newScheduleOneCmd(g, "get", "Show a schedule, its next slot and recent runs", showSchedule),
		newScheduleOneCmd(g, "history", "Show a schedule's recent runs: succeeded, failed, skipped, missed, replaced and active", showHistory),
		newScheduleOneCmd(g, "rm", "Remove a schedule (runs already fired go on)",
			func(ctx context.Context, g *globals, cmd *cobra.Command, c *client.Client, name string) error {
				err := c.RemoveSchedule(ctx, name)
				if errors.Is(err, client.ErrMovedAside) {
					fmt.Fprintln(cmd.ErrOrStderr(), "drover: "+printable(oneLine(err.Error())))
				} else if err != nil {
					return err
				}
				return say(g, cmd, "removed", name)
			}),
		newScheduleOneCmd(g, "pause", "Suspend a schedule: no slot fires until resumed (slots due and not yet fired are filed as missed)",
			func(ctx context.Context, g *globals, cmd *cobra.Command, c *client.Client, name string) error {
				if _, err := c.PauseSchedule(ctx, name); err != nil {
					return err
				}
				return say(g, cmd, "paused", name)
			}),
		newScheduleOneCmd(g, "resume", "Resume a schedule from its next slot",
			func(ctx context.Context, g *globals, cmd *cobra.Command, c *client.Client, name string) error {
				if _, err := c.ResumeSchedule(ctx, name); err != nil {
					return err
				}
				return say(g, cmd, "resumed", name)
			}),
		newScheduleOneCmd(g, "trigger", "Run a schedule's task now, outside its slots; prints the task id",
			func(ctx context.Context, g *globals, cmd *cobra.Command, c *client.Client, name string) error {
				id, err := c.TriggerSchedule(ctx, name)
				if err != nil {
					return err
				}
				if g.output == "json" {
					return writeJSON(cmd.OutOrStdout(), map[string]string{"schedule": name, "task": id})
				}
				fmt.Fprintln(cmd.OutOrStdout(), id)
				return nil
			}),
	)
	return cmd
}

func say(g *globals, cmd *cobra.Command, verb, name string) error {
	if g.output == "json" {
		return writeJSON(cmd.OutOrStdout(), map[string]string{"schedule": name, "result": verb})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", verb, name)
	return nil
}

func newScheduleAddCmd(g *globals) *cobra.Command {
	var (
		tf     taskFlags
		spec   client.ScheduleSpec
		update bool
	)
	cmd := &cobra.Command{
		Use:   "add NAME --cron SPEC [flags] -- CMD ARGS...",
		Short: "Add a cron schedule, or with --update change one in place",
		Example: `  drover schedule add nightly --cron "0 2 * * *" --tz Europe/Berlin -- ./report.sh
  drover schedule add tick --cron "* * * * * *" --catchup all --concurrency forbid -- date
  drover schedule add nightly --update --cron "30 2 * * *" --tz Europe/Berlin -- ./report.sh --full`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 {
				return usageErr("schedule add: no name given")
			}
			tf.commandLineWins(cmd, args[1:])
			if len(args) < 2 && !tf.runsHandler() {
				return usageErr("schedule add: no command given: drover schedule add NAME --cron SPEC -- CMD ARGS... (or --handler NAME)")
			}
			if spec.Cron == "" {
				return usageErr("schedule add: --cron is required")
			}
			task, err := tf.build(args[1:])
			if err != nil {
				return err
			}
			spec.Name, spec.Task = args[0], task
			// 0 reads as "not given" (the default, 10) to the Go API: given
			// here, it meant "keep none" (Kubernetes' history limits), and
			// became 10 without a word.
			for _, keep := range []string{"keep-succeeded", "keep-failed"} {
				if n, _ := cmd.Flags().GetInt(keep); n < 1 || n > 1000 {
					return usageErr("schedule add %s: --%s %d: want 1..1000 (the newest runs kept in the history)", shown(args[0]), keep, n)
				}
			}
			// As an empty --catchup: a zone left blank ("$ZONE" unset) is a
			// mistake, not a request for UTC (the schedule fired in UTC).
			// A config file's zone is a default: a CRON_TZ= (TZ=) prefix of a
			// --cron given here beats it, as a --tz given here would (every
			// prefixed spec was refused: the zone given twice).
			if !givenOnCommandLine(cmd, "tz") && givenOnCommandLine(cmd, "cron") {
				if _, _, prefixed := scheduler.ZonePrefix(strings.TrimSpace(spec.Cron)); prefixed {
					spec.TZ = ""
				}
			}
			if givenOnCommandLine(cmd, "tz") && spec.TZ == "" {
				return usageErr("schedule add %s: --tz \"\": want a time zone like Europe/Berlin (leave the flag out for UTC)", shown(args[0]))
			}
			if _, err := spec.Record(time.Now()); err != nil {
				return usageErr("schedule add %s: %s", shown(args[0]), inFlagWords(describeInvalid(err), "--"))
			}
			return g.withClient(func(ctx context.Context, c *client.Client) error {
				var (
					rec     *store.Schedule
					applied = client.Added
					err     error
				)
				if update {
					rec, applied, err = c.ApplySchedule(ctx, spec)
				} else {
					rec, err = c.AddSchedule(ctx, spec)
				}
				if errors.Is(err, store.ErrScheduleExists) {
					return exitCode(1, fmt.Sprintf("schedule %s already exists: remove it first, pick another name, or change it in place with --update", spec.Name))
				}
				if err != nil {
					return err
				}
				info := client.ScheduleInfo{Schedule: rec}
				if all, err := c.Schedule(ctx, rec.Name); err == nil {
					info = all
				}
				if g.output == "json" {
					if update {
						return writeJSON(cmd.OutOrStdout(), struct {
							client.ScheduleInfo
							Applied client.Applied `json:"applied"`
						}{info, applied})
					}
					return writeJSON(cmd.OutOrStdout(), info)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s: next slot %s\n", applied, rec.Name, when(info))
				noteRunsWait(ctx, c, []client.ScheduleSpec{spec}, []int{0}, false, cmd.ErrOrStderr())
				return nil
			})
		},
	}
	f := cmd.Flags() // flags may follow NAME; the command comes after --
	f.StringVar(&spec.Cron, "cron", "", `cron spec: 5 fields, 6 with leading seconds, or @hourly, @every 90s (CRON_TZ= or TZ= prefix allowed)`)
	f.StringVar(&spec.TZ, "tz", "", "time zone of the spec, e.g. Europe/Berlin (default UTC)")
	choiceVar(f, &spec.Catchup, "catchup", store.CatchupNone, "slots missed while no leader ran: none, last or all",
		store.CatchupNone, store.CatchupLast, store.CatchupAll)
	f.DurationVar(&spec.StartingDeadline, "starting-deadline", 0, "never start a slot later than this after its time, at least 1ms (0: no limit): a slot due later is missed, and its task still queued then (no worker took it) is cancelled; retries are not bound")
	choiceVar(f, &spec.Concurrency, "concurrency", store.ConcurrencyAllow, "when the previous run is still active: allow, forbid (skip) or replace (cancel it)",
		store.ConcurrencyAllow, store.ConcurrencyForbid, store.ConcurrencyReplace)
	f.BoolVar(&spec.Suspend, "suspend", false, "add it paused (with --update: pause it)")
	f.BoolVar(&update, "update", false, "change the schedule of that name in place to what this command says (or add it), keeping its history and runs (a new --cron or --tz fires from now on; it stays paused or active as it was)")
	f.IntVar(&spec.KeepSucceeded, "keep-succeeded", 10, "successful runs kept in history, 1..1000")
	f.IntVar(&spec.KeepFailed, "keep-failed", 10, "failed runs kept in history, 1..1000 (skipped, missed and replaced runs: as many, at least 10)")
	tf.register(f)
	return cmd
}

// when says when a schedule's next slot comes: none while it is paused, and
// unknown where this host's tzdata lacks its zone (a leader that has it
// fires it).
func when(s client.ScheduleInfo) string {
	t := s.Next
	switch {
	case s.Suspended:
		return "- (paused)"
	case t.IsZero():
		return "- (its time zone is not in this host's tzdata)"
	}
	in := time.Until(t).Round(time.Second)
	if in < 0 {
		in = 0 // passed while the listing was read: the leader fires it now
	}
	return t.Local().Format(time.RFC3339) + " (in " + in.String() + ")"
}

func newScheduleLsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List schedules with their next slot",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withReader(func(ctx context.Context, c *client.Client) error {
				list, skipped, err := c.ListSchedules(ctx)
				if err != nil {
					return err
				}
				if skipped > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "drover: skipped %d unreadable schedule record(s): malformed, which a leader moves to deadletter (drover deadletter ls), of a newer Drover, or not readable with these credentials\n", skipped)
				}
				if g.output == "json" {
					return writeJSON(cmd.OutOrStdout(), list)
				}
				rows := make([][]string, len(list))
				for i, s := range list {
					state := "active"
					if s.Suspended {
						state = "paused"
					}
					cron := s.Cron
					if s.TZ != "" {
						cron += " (" + s.TZ + ")"
					}
					rows[i] = []string{s.Name, cron, state, when(s), s.Catchup, s.Concurrency, fmt.Sprint(s.Fired)}
				}
				return table(cmd.OutOrStdout(), "NAME\tCRON\tSTATE\tNEXT\tCATCHUP\tCONCURRENCY\tFIRED", rows)
			})
		},
	}
}

type scheduleAction func(ctx context.Context, g *globals, cmd *cobra.Command, c *client.Client, name string) error

func newScheduleOneCmd(g *globals, use, short string, act scheduleAction) *cobra.Command {
	return &cobra.Command{
		Use:   use + " NAME",
		Short: short,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("schedule %s: want exactly one schedule name", use)
			}
			if err := store.ValidateNodeName(args[0]); err != nil {
				return usageErr("schedule %s: %v", use, err)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withReader(func(ctx context.Context, c *client.Client) error {
				err := act(ctx, g, cmd, c, args[0])
				switch {
				case errors.Is(err, client.ErrNoSchedule):
					return exitCode(1, fmt.Sprintf("schedule %s not found", shown(args[0])))
				case errors.Is(err, client.ErrInvalid): // a change the record has no room for
					return usageErr("schedule %s: %s", use, strings.TrimPrefix(err.Error(), client.ErrInvalid.Error()+": "))
				}
				return err
			})
		},
	}
}

func showSchedule(ctx context.Context, g *globals, cmd *cobra.Command, c *client.Client, name string) error {
	s, err := c.Schedule(ctx, name)
	if err != nil {
		return err
	}
	if g.output == "json" {
		if err := writeJSON(cmd.OutOrStdout(), s); err != nil {
			return err
		}
		return junkRun(ctx, c, s, nil, true)
	}
	state := "active"
	if s.Suspended {
		state = "paused"
	}
	rows := [][]string{
		{"name", s.Name}, {"cron", s.Cron}, {"tz", orDash(scheduleZone(s.Cron, s.TZ))}, {"state", state}, {"next", when(s)},
		{"last slot", orDash(fmtTime(s.LastSlot))}, {"catchup", s.Catchup},
		{"starting deadline", orDash(durStr(s.StartingDeadline.Duration()))}, {"concurrency", s.Concurrency},
		{"command", whatRuns(&store.Task{Cmd: s.Task.Cmd, Handler: s.Task.Handler})},
		// What each run is given (schedule export prints it all).
		{"retries", fmt.Sprint(s.Task.Retries)},
	}
	rows = append(rows, retryRows(&s.Task)...)
	rows = append(rows, [][]string{
		{"timeout", orDash(durStr(s.Task.Timeout.Duration()))},
		{"on", labelsStr(s.Task.On)}, {"priority", s.Task.Priority.String()},
		{"fired", fmt.Sprint(s.Fired)},
		{"active", fmt.Sprint(len(s.Active))},
		// What the history keeps (its counts, not totals: fired is the
		// one total).
		{"history kept", fmt.Sprintf("%d succeeded, %d failed, %d skipped, missed or replaced (drover schedule history %s)",
			len(s.Succeeded), len(s.Failed), len(s.Skipped), s.Name)},
	}...)
	id, why, junk := runWaits(ctx, c, s.Active)
	switch {
	case why != "":
		rows = append(rows, []string{"waiting", fmt.Sprintf("its run %s waits %s", id, why)})
	case !s.Suspended && noScheduler(ctx, c):
		rows = append(rows, []string{"waiting", firesNot})
	}
	if err := table(cmd.OutOrStdout(), "FIELD\tVALUE", rows); err != nil {
		return err
	}
	return junkRun(ctx, c, s, junk, false)
}

func showHistory(ctx context.Context, g *globals, cmd *cobra.Command, c *client.Client, name string) error {
	s, err := c.Schedule(ctx, name)
	if err != nil {
		return err
	}
	if g.output == "json" {
		if err := writeJSON(cmd.OutOrStdout(), map[string]any{
			"schedule": s.Name, "active": nz(s.Active), "succeeded": nz(s.Succeeded), "failed": nz(s.Failed), "skipped": nz(s.Skipped),
		}); err != nil {
			return err
		}
		return junkRun(ctx, c, s, nil, true)
	}
	type row struct {
		slot time.Time
		cols []string
	}
	var rows []row
	waiting, why, junk := runWaits(ctx, c, s.Active)
	add := func(kind string, runs []store.ScheduleRun) {
		for _, r := range runs {
			state := string(r.State)
			if state == "" {
				state = kind
			}
			note := r.Reason
			if waiting != "" && r.Task == waiting && kind == "active" {
				note = "queued: waits " + why
			}
			rows = append(rows, row{r.Slot, []string{fmtTime(r.Slot), state, orDash(r.Task), orDash(note)}})
		}
	}
	add("succeeded", s.Succeeded)
	add("failed", s.Failed)
	add("skipped", s.Skipped)
	add("active", s.Active)
	// One timeline, oldest first: the record keeps runs by kind, and a
	// table of them kind after kind jumped back and forth in time.
	slices.SortStableFunc(rows, func(a, b row) int { return a.slot.Compare(b.slot) })
	cols := make([][]string, len(rows))
	for i, r := range rows {
		cols[i] = r.cols
	}
	if err := table(cmd.OutOrStdout(), "SLOT\tSTATE\tTASK\tNOTE", cols); err != nil {
		return err
	}
	return junkRun(ctx, c, s, junk, false)
}

// junkRun is the error of a run of s whose task's record does not decode,
// as drover status reports it, the record moved to deadletter as status
// moves it (README: schedule get and history read it too): junk, what
// runWaits met, or a result the history shows as unreadable (the client
// reads it there, read only), or with active (runWaits did not read them:
// -o json) an active run's. It reads at most runWaitsLooks of each, newest
// first; nil when none is junk.
func junkRun(ctx context.Context, c *client.Client, s client.ScheduleInfo, junk error, active bool) error {
	if junk != nil {
		return junk
	}
	var look []store.ScheduleRun
	if active {
		look = newestRuns(s.Active)
	}
	var unreadable []store.ScheduleRun
	for _, runs := range [][]store.ScheduleRun{s.Succeeded, s.Failed, s.Skipped} {
		for _, r := range runs {
			if r.Reason == scheduler.ResultUnreadable {
				unreadable = append(unreadable, r)
			}
		}
	}
	slices.SortStableFunc(unreadable, func(a, b store.ScheduleRun) int { return a.Slot.Compare(b.Slot) })
	for _, r := range append(look, newestRuns(unreadable)...) {
		// (An unreadable result moved aside before, by a leader, is filed
		// as such: no error.)
		if _, err := c.Status(ctx, r.Task); isRecordErr(err) {
			return err
		}
	}
	return nil
}

// newestRuns is the newest runWaitsLooks of runs (oldest first, as a
// schedule's record keeps them) that name a task, newest first: each is
// a read of its task.
func newestRuns(runs []store.ScheduleRun) []store.ScheduleRun {
	var out []store.ScheduleRun
	for i := len(runs) - 1; i >= 0 && len(out) < runWaitsLooks; i-- {
		if runs[i].Task != "" {
			out = append(out, runs[i])
		}
	}
	return out
}

// isRecordErr says whether err is of a task's record that does not decode
// (not one of a newer Drover's, which stays, as status leaves it).
func isRecordErr(err error) bool {
	var rerr *store.RecordError
	return errors.As(err, &rerr) && errors.Is(err, store.ErrMalformed)
}

// noScheduler says whether no scheduler runs: no schedule fires (schedule
// get said "next ... (in 0s)" for ever, the next slot after now).
func noScheduler(ctx context.Context, c *client.Client) bool {
	_, err := c.Leader(ctx)
	return errors.Is(err, client.ErrNoLeader)
}

// firesNot is what schedule get says when no scheduler runs.
const firesNot = "for a scheduler: no scheduler is running, and no slot fires (start one: drover scheduler, or drover dev)"

// runWaitsLooks bounds the active runs runWaits reads: each is a read, and
// the answer is the template's (its labels, program and variables), the
// same for every run still queued.
const runWaitsLooks = 3

// runWaits says why a schedule's active run waits, as drover status says
// of its task (no scheduler, no worker that runs it): a schedule whose
// template no worker can run fires runs that wait for ever, and under
// forbid every later slot is skipped. It reads the newest active runs
// first and returns the first queued one that waits with its reason, or
// "" when none does (or none could be read). junk is the error of a run
// whose record does not decode (which the read moved to deadletter, as
// drover status does).
func runWaits(ctx context.Context, c *client.Client, active []store.ScheduleRun) (id, why string, junk error) {
	for _, r := range newestRuns(active) {
		t, err := c.Status(ctx, r.Task)
		if isRecordErr(err) {
			return "", "", err
		}
		if err != nil || t.State != store.StateQueued {
			continue
		}
		if why := waitsFor(ctx, c, t); why != "" {
			return t.ID, why, nil
		}
		return "", "", nil // queued for a reason waitsFor does not know: the others too
	}
	return "", "", nil
}

func nz(r []store.ScheduleRun) []store.ScheduleRun {
	if r == nil {
		return []store.ScheduleRun{}
	}
	return r
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(time.RFC3339)
}

func durStr(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// scheduleZone is the zone a schedule's slots are reckoned in: --tz, or a
// CRON_TZ= (TZ=) prefix of its spec; "" for UTC by default.
func scheduleZone(spec, tz string) string {
	if tz != "" {
		return tz
	}
	zone, _, _ := scheduler.ZonePrefix(strings.TrimSpace(spec))
	return zone
}
