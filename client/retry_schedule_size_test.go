package client

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// deadRunOf writes the result of a run of schedule rec (its template, with
// the env a firing sets when sched is true) dead after attempts failures,
// each with an error of errLen bytes, as a worker files them.
func deadRunOf(t *testing.T, st *store.Store, rec *store.Schedule, slot time.Time, attempts, errLen int, sched bool) *store.Task {
	t.Helper()
	task := rec.Task.Clone()
	task.ID = store.SlotTaskID(rec.Name+"@"+strconv.FormatInt(rec.CreatedAt.UnixNano(), 10)+strconv.FormatBool(sched), slot, 0)
	task.Name = rec.Name
	if sched {
		task.Env["DROVER_SCHEDULE"] = rec.Name
		task.Env["DROVER_SLOT"] = strconv.FormatInt(slot.Unix(), 10)
	}
	now := time.Now().UTC()
	task.SubmittedAt, task.Attempt, task.Gen = now, attempts, 0
	for n := 1; n <= attempts; n++ {
		task.AddAttempt(store.Attempt{N: n, Worker: "w1", StartedAt: now, FinishedAt: now, ExitCode: 1,
			Error: strings.Repeat("e", errLen)})
	}
	one := 1
	task.State, task.ExitCode, task.FinishedAt, task.Error = store.StateDead, &one, now, "exit status 1"
	if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
		t.Fatal(err)
	}
	return task
}

// drover retry of a schedule's run now writes the schedule's record in the
// same transaction as the task's queue item (store.Schedule.Rerun). Each is
// bounded on its own against jute.maxbuffer (the item with its version
// writes by MaxRecordSize in Enqueue, the record by MaxFiringBytes), not
// their sum: a run with a long history of a schedule with a large template
// and history, both well within their bounds, makes a request past 1 MiB.
// ZooKeeper drops the connection of such a request, the client takes the
// reply for lost, finds the retry not applied and sends it again, until it
// gives up: the run can no longer be retried at all, though the same task
// outside a schedule is.
func TestRetryOfALargeScheduleRunFitsOneRequest(t *testing.T) {
	c, st := newClient(t)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "big", Cron: "0 0 1 1 *", Suspend: true,
		KeepSucceeded: 1000, KeepFailed: 1000,
		Task: TaskSpec{Cmd: []string{"true"}, Retries: 1000, Env: map[string]string{"PAD": strings.Repeat("x", 240<<10)}}}); err != nil {
		t.Fatal(err)
	}
	// 1000 days of runs filed (a success and a failure a day), as the leader files them.
	rec, stat := storedSchedule(t, st, "big")
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		slot := start.Add(time.Duration(i) * 24 * time.Hour)
		rec.Record(store.ScheduleRun{Slot: slot, Task: store.SlotTaskID("big", slot, 0), State: store.StateSucceeded})
		rec.Record(store.ScheduleRun{Slot: slot, Task: store.SlotTaskID("big", slot, 1), State: store.StateFailed})
	}
	data, err := rec.EncodeFit()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Txn().Set(st.Layout().Schedule("big"), data, stat.Version).Commit(); err != nil {
		t.Fatal(err)
	}
	if len(rec.Succeeded) != 1000 || len(rec.Failed) != 1000 {
		t.Fatalf("history trimmed to %d runs: the record is past its bound", len(rec.Succeeded))
	}

	slot := start.Add(400 * 24 * time.Hour)
	// The same dead task, once outside the schedule (control) and once as
	// its run: 1001 attempts, each failed with a 256-byte error.
	plain := deadRunOf(t, st, rec, slot, 1001, 256, false)
	run := deadRunOf(t, st, rec, slot, 1001, 256, true)
	res, _ := store.Encode(run)
	t.Logf("schedule record %d bytes, run's result %d bytes", len(data), len(res))

	if _, err := c.Retry(context.Background(), plain.ID); err != nil {
		t.Fatalf("retry of the task outside the schedule: %v", err)
	}
	if _, err := c.Retry(context.Background(), run.ID); err != nil {
		t.Fatalf("retry of the same task as the schedule's run (%d-byte record written with a %d-byte item): %v", len(data), len(res), err)
	}
	if now, err := c.Status(context.Background(), run.ID); err != nil || now.State != store.StateQueued {
		t.Fatalf("the retried run: %+v, %v", now, err)
	}
}
