package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/drover-sched/drover/store"
)

// signalContext ends at the first SIGINT or SIGTERM; a second one gets the
// default behaviour (the process dies), so a stuck shutdown can be cut short.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// taskJSON is the stable JSON form of a task (`-o json` of status, ls, cancel
// and retry): the fields of the task record plus "attempts". Its shape:
//
//	{
//	  "v": 1,                        record format version
//	  "id": "01J...",                the task id (a ULID)
//	  "name": "backup",              omitted when empty
//	  "cmd": ["./backup.sh", "/data"],
//	  "shell": true,                 omitted when false
//	  "env": {"K": "V"},             omitted when empty
//	  "retries": 3,
//	  "timeout_ms": 600000,          omitted when 0 (no limit)
//	  "on": {"gpu": "true"},         required worker labels, omitted when empty
//	  "priority": "low|normal|high",
//	  "key": "...",                  idempotency key, omitted when empty
//	  "submitted_at": "RFC 3339",
//	  "state": "queued|assigned|running|succeeded|failed|cancelled|dead",
//	  "attempt": 1,                  the current (or last) attempt, 1-based
//	  "attempts": 1,                 attempts made so far (0 while first queued)
//	  "not_before": "RFC 3339",      retry backoff, omitted when none
//	  "history": [{"n","worker","started_at","finished_at","exit_code","error","lost",
//	               "stdout","stderr"}],   the last 2 KiB of each, the last 10 attempts
//	                                 (a finished task's last attempt: in its own stdout/stderr)
//	  "worker": "w1",                where it runs (or last ran), "" when none
//	  "assigned_at", "started_at", "finished_at": "RFC 3339", each omitted when not yet
//	  "exit_code": 0,                null until finished: -1 when it ended without a
//	                                 code of its own (timeout, cancelled, worker lost)
//	  "error": "timeout after 1m0s", why, in that case
//	  "stdout", "stderr": "...",     the last 64 KiB of each, once finished
//	  "reg", "epoch": placement bookkeeping
//	}
type taskJSON struct {
	*store.Task
	Attempts int `json:"attempts"`
	// Always present (README promises them), shadowing the record's omitempty fields.
	Worker   string `json:"worker"`
	ExitCode *int   `json:"exit_code"`
}

func attemptsMade(t *store.Task) int {
	switch t.State {
	case store.StateQueued:
		return len(t.History)
	case store.StateAssigned, store.StateRunning:
		return len(t.History) + 1
	}
	return len(t.History)
}

func toJSON(t *store.Task) taskJSON {
	return taskJSON{Task: t, Attempts: attemptsMade(t), Worker: t.Worker, ExitCode: t.ExitCode}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows under a tab-separated header. A cell that is not plain
// printable text (see shown) is written quoted, so data from ZooKeeper can
// neither add rows or columns nor send escape sequences to the terminal.
func table(w io.Writer, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = shown(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// shown returns s as is when it is valid UTF-8 of printable characters and
// spaces, and strconv.Quote(s) otherwise: a newline, tab, escape sequence or
// bidirectional override in a task's name, command or error is shown escaped.
func shown(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// commandStr is a command line for display: its arguments joined by spaces,
// each one that is not plain printable text quoted on its own.
func commandStr(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = shown(a)
	}
	return strings.Join(parts, " ")
}

// whatRuns is a task's command, or its Go handler.
func whatRuns(t *store.Task) string {
	if t.Handler != "" {
		return "handler " + shown(t.Handler)
	}
	return commandStr(t.Cmd)
}

// runsStr says what a worker runs: commands (those its allow-list
// admits), Go handlers, or both.
func runsStr(w store.WorkerInfo) string {
	var parts []string
	switch {
	case w.NoCommands:
	case len(w.Allow) > 0:
		parts = append(parts, "commands allowed by "+commandStr(w.Allow))
	default:
		parts = append(parts, "commands")
	}
	if len(w.Handlers) > 0 {
		parts = append(parts, "handlers "+commandStr(w.Handlers))
	}
	return orDash(strings.Join(parts, "; "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func exitStr(t *store.Task) string {
	if t.ExitCode == nil {
		return "-"
	}
	return fmt.Sprint(*t.ExitCode)
}

func ago(ts time.Time) string {
	if ts.IsZero() {
		return "-"
	}
	return time.Since(ts).Round(time.Second).String() + " ago"
}

func labelsStr(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// attemptOf shows the current attempt out of the most the task may make: 1 +
// retries, plus one for each attempt lost with its worker (those do not count
// against retries); a task given more by drover retry is at its last.
func attemptOf(t *store.Task) string {
	lost := len(t.History) - t.Failures()
	return fmt.Sprintf("%d/%d", t.Attempt, max(t.MaxAttempts()+lost, t.Attempt))
}
