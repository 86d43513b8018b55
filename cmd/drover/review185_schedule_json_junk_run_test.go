package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// TestReview185ScheduleGetJSONOfAJunkQueuedRunFails: review181's fix makes
// schedule get and history fail, exit 1, naming the task, for a run whose
// queue item does not decode, moving it to deadletter (README: "schedule
// get and history of a run's task ... which read it too"), but only in
// table form: there runWaits reads the active runs. With -o json, junkRun
// is given nil and looks only at results filed "result unreadable": the
// same command on the same cluster exits 0, says nothing and leaves the
// record in place, so a script (which reads -o json) never learns of it.
func TestReview185ScheduleGetJSONOfAJunkQueuedRunFails(t *testing.T) {
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
			junk := st.Layout().QueueItem(task.ID)
			if _, err := st.Set(junk, []byte("{junk"), -1); err != nil {
				t.Fatal(err)
			}
			table := drover(t, root, "schedule", cmdName, "nightly") // as review181 wants: exit 1, moved
			// Put back, should the table form have moved it aside.
			if err := st.Create(junk, []byte("{junk")); err != nil && !errors.Is(err, store.ErrNodeExists) {
				t.Fatal(err)
			}
			r := drover(t, root, "-o", "json", "schedule", cmdName, "nightly")
			ok, _, err := st.Exists(junk)
			if err != nil {
				t.Fatal(err)
			}
			if r.code != 1 || !strings.Contains(r.stderr, task.ID) || ok {
				t.Fatalf("schedule %s -o json of a schedule whose run's queue item does not decode: exit %d (want 1, as the table form's %d), stderr %q (want one line naming task %s), record still in place: %v (want it moved to deadletter)",
					cmdName, r.code, table.code, r.stderr, task.ID, ok)
			}
		})
	}
}
