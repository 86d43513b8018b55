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
// each one that is not plain printable text, or that holds a space or a
// character a shell reads specially (or is empty), quoted on its own: sh -c
// "date; sleep 2" read as sh -c date; sleep 2.
func commandStr(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = shown(a)
		if parts[i] == a && (a == "" || strings.ContainsAny(a, " \t'\"\\;&|<>()$`*?[]#~{}!")) {
			parts[i] = strconv.Quote(a)
		}
	}
	return strings.Join(parts, " ")
}

// wordsStr is a list for display (globs, names): joined by spaces, each
// word that is not plain printable text quoted.
func wordsStr(words []string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = shown(w)
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
		parts = append(parts, "commands allowed by "+wordsStr(w.Allow))
	default:
		parts = append(parts, "commands")
	}
	if !w.NoCommands && len(w.AllowEnv) > 0 {
		parts = append(parts, "env allowed by "+wordsStr(w.AllowEnv))
	}
	if len(w.Handlers) > 0 {
		parts = append(parts, "handlers "+wordsStr(w.Handlers))
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

// ago says how long ago ts was; a time still to come (stamped by a host
// whose clock is ahead of this one's) says so, not "-5s ago".
func ago(ts time.Time) string {
	if ts.IsZero() {
		return "-"
	}
	if now := time.Now(); ts.After(now) {
		return "in " + ts.Sub(now).Round(time.Second).String() // Sub saturates, never negative
	}
	return time.Since(ts).Round(time.Second).String() + " ago"
}

// agoAt is ago and the time itself (local, as schedule ls shows times):
// "2m ago" alone reads badly in a report pasted later.
func agoAt(ts time.Time) string {
	if ts.IsZero() {
		return "-"
	}
	return ago(ts) + " (" + fmtTime(ts) + ")"
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
// retryRows are status's and schedule get's rows for how a task's
// failures are retried, beyond its retries: none when it sets nothing
// of its own.
func retryRows(t *store.Task) [][]string {
	var rows [][]string
	if len(t.NoRetryExit) > 0 {
		rows = append(rows, []string{"no retry on exit", strings.Trim(fmt.Sprint(t.NoRetryExit), "[]")})
	}
	if t.Backoff > 0 {
		rows = append(rows, []string{"backoff", t.Backoff.Duration().String() + " before the first retry, doubling"})
	}
	return rows
}

func attemptOf(t *store.Task) string {
	return fmt.Sprintf("%d/%d", t.Attempt, max(t.MaxAttempts()+t.Losses()+t.Unstarted(), t.Attempt))
}
