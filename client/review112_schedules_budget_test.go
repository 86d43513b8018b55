package client

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review112.

// TestSchedulesFirstRefreshesTheRunsWhenItsBudgetRunsOut: SchedulesFirst
// brings its page's histories up to date (0103cfd: /api/v1/schedules
// listed a run that had ended as active) on the two paths that return a
// full page, but not on the third: when its read budget runs out first
// (10 records per schedule asked for, at least 1,000; removed schedules
// are read and skipped, and a mass `schedule rm` leaves their tombstones
// for an hour). Then the page is returned as the records hold it, and a
// run that ended is listed as active, as before the fix: /api/v1/schedules
// (the dashboard's and a script's view) says it is in progress while
// /api/v1/schedules/NAME says it succeeded.
func TestSchedulesFirstRefreshesTheRunsWhenItsBudgetRunsOut(t *testing.T) {
	c, st := newClient(t)
	ctx := context.Background()
	res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	// It ran and succeeded (as a worker's report files it).
	drovertest.Succeed(t, st, id)
	// A daily schedule whose last run is that task, not filed yet (the
	// leader files it at the next slot) ...
	slot := time.Now().Add(-time.Hour).UTC()
	rec := &store.Schedule{Name: "a-nightly", Cron: "@daily", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
		CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}},
		LastSlot: slot, Fired: 1, Active: []store.ScheduleRun{{Slot: slot, Task: id}}}
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
	// ... and, after it by name, 1,000 schedules just removed.
	const removed = 1000
	errs := make([]error, removed)
	store.Pipelined(removed, func(i int) {
		name := fmt.Sprintf("b-%04d", i)
		rec := &store.Schedule{Name: name, Cron: "@daily", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
			CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}}}
		if errs[i] = st.AddSchedule(rec); errs[i] == nil {
			errs[i] = st.RemoveSchedule(name)
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	one, err := c.Schedule(context.Background(), "a-nightly")
	if err != nil || len(one.Active) != 0 {
		t.Fatalf("Schedule(a-nightly): active %v, %v; want its run filed", one.Active, err)
	}
	// The page before the budget ran out: a-nightly alone, refreshed as
	// when one more schedule follows it.
	list, more, _, err := c.SchedulesFirst(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "a-nightly" || !more {
		t.Fatalf("SchedulesFirst(1): %d listed, more %v; want a-nightly and more", len(list), more)
	}
	if len(list[0].Active) != 0 {
		t.Fatalf("SchedulesFirst(1), its read budget spent on removed schedules, lists run %s of a-nightly as active; "+
			"its task %s succeeded, as Schedule(a-nightly) says (the page is refreshed only when it fills)", list[0].Active[0].Slot.Format(time.RFC3339), id)
	}
}
