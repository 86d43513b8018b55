package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

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

// taskJSON is the stable JSON form of a task: every field of the task record
// (id, name, cmd, state, attempt, worker, exit_code, stdout, stderr, history, ...)
// plus "attempts", the number of attempts made so far.
type taskJSON struct {
	*store.Task
	Attempts int `json:"attempts"`
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

func toJSON(t *store.Task) taskJSON { return taskJSON{Task: t, Attempts: attemptsMade(t)} }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func table(w io.Writer, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
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
