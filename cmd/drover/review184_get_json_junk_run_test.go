package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// review181's fix has schedule get and history fail for a run whose record
// does not decode (README: they "move that record to deadletter/ and fail
// for that task: one line naming it, exit 1"), but only in table output for
// an active run's queue item: with -o json showSchedule and showHistory call
// junkRun(c, s, nil), which looks at the history's unreadable results
// alone, never at the active runs (runWaits is table-only). The same
// schedule, -o json: exit 0, nothing said, the junk queue item left in
// place — and the table's exit 1 depends on the output format. (review184)
func TestReview184ScheduleGetJSONOfAJunkActiveRun(t *testing.T) {
	for _, cmdName := range []string{"get", "history"} {
		t.Run(cmdName, func(t *testing.T) {
			root := newRoot()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st, err := store.Open(ctx, store.Config{Servers: []string{zkAddr}, Root: root, SessionTimeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			lay := st.Layout()
			now := time.Now().UTC()
			slot := now.Truncate(time.Second)
			task := &store.Task{ID: store.NewTaskID(slot), Cmd: []string{"true"}, SubmittedAt: now, Attempt: 1, State: store.StateQueued,
				Env: map[string]string{"DROVER_SCHEDULE": "nightly", "DROVER_SLOT": "1"}}
			if _, err := st.Submit(ctx, []*store.Task{task}); err != nil {
				t.Fatal(err)
			}
			rec := &store.Schedule{Name: "nightly", Cron: "@every 1h", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
				Task: store.Task{Cmd: []string{"true"}}, CreatedAt: now.Add(-time.Hour), LastSlot: slot, KeepSucceeded: 10, KeepFailed: 10,
				Active: []store.ScheduleRun{{Slot: slot, Task: task.ID}}}
			if err := st.AddSchedule(rec); err != nil {
				t.Fatal(err)
			}
			junk := lay.QueueItem(task.ID)
			if _, err := st.Set(junk, []byte("{junk"), -1); err != nil {
				t.Fatal(err)
			}
			r := drover(t, root, "-o", "json", "schedule", cmdName, "nightly")
			ok, _, err := st.Exists(junk)
			if err != nil {
				t.Fatal(err)
			}
			if r.code != 1 || !strings.Contains(r.stderr, task.ID) || ok {
				t.Fatalf("schedule %s -o json of a schedule whose active run's queue item does not decode: exit %d (want 1, as the table's), "+
					"stderr %q (want one line naming task %s), record still in place: %v (want it moved to deadletter)",
					cmdName, r.code, r.stderr, task.ID, ok)
			}
		})
	}
}
