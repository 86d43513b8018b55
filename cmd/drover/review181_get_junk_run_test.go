package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// TestScheduleGetOfAJunkRunRecordFails: README (CLI reference) says that
// status, logs, wait, cancel and retry of a task whose record (its result,
// queue item or assignment) does not decode "(and `schedule get` and
// `history` of a run's task ... which read it too), move that record to
// `deadletter/` and fail for that task: one line naming it, exit 1".
// schedule get and history do neither in full: a run's junk queue item is
// moved aside by runWaits' drover-status read, whose error runWaits drops
// (exit 0, nothing said; the operator's next look finds the run silently
// gone); a run's junk result is shown as "result unreadable" and left in
// place (RefreshRuns without the leader's unreadable hook), exit 0.
func TestScheduleGetOfAJunkRunRecordFails(t *testing.T) {
	for _, which := range []string{"queue item", "result"} {
		for _, c := range []struct{ output, sub string }{{"table", "get"}, {"table", "history"}, {"json", "get"}, {"json", "history"}} {
			cmdName := c.sub + " -o " + c.output
			t.Run(which+" "+cmdName, func(t *testing.T) {
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
				if which == "result" {
					junk = lay.Result(task.ID)
					if err := st.Create(junk, []byte("{junk")); err != nil {
						t.Fatal(err)
					}
				} else if _, err := st.Set(junk, []byte("{junk"), -1); err != nil {
					t.Fatal(err)
				}
				// -o json too, as the table (review184, review185).
				r := drover(t, root, "-o", c.output, "schedule", c.sub, "nightly")
				ok, _, err := st.Exists(junk)
				if err != nil {
					t.Fatal(err)
				}
				if r.code != 1 || !strings.Contains(r.stderr, task.ID) || ok {
					t.Fatalf("schedule %s of a schedule whose run's %s does not decode: exit %d (want 1), stderr %q (want one line naming task %s), record still in place: %v (want it moved to deadletter)\nstdout:\n%s",
						cmdName, which, r.code, r.stderr, task.ID, ok, r.stdout)
				}
			})
		}
	}
}
