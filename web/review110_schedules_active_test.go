package web

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

// /api/v1/schedules shows each schedule's active runs as its record holds
// them. The leader files a run that ended into the history only when the
// schedule next fires (or 10 s before), so between two slots of a daily
// schedule its last run, ended hours ago, is still "active" in the record.
// drover schedule ls (client.ListSchedules) and /api/v1/schedules/NAME
// (client.Schedule) read the runs' results and show it ended (871d4cd fixed
// schedule ls); the API's listing, built on SchedulesFirst alone, does
// not: a script or dashboard that asks the listing whether a run is in
// progress is told it is, while /api/v1/schedules/NAME says it succeeded.
// (Found by review110.)
func TestAPISchedulesListingShowsAnEndedRunAsActive(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	// A task run to its end by a scheduler and a worker, which then stop:
	// no leader touches the schedule below.
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(worker.Config{ID: "w1", Commands: true, Store: drovertest.OpenStore(t, root)})
	if err != nil {
		t.Fatal(err)
	}
	stopS := drovertest.Run(t, "scheduler", s.Run)
	stopW := drovertest.Run(t, "worker", w.Run)
	c := client.New(st)
	res, err := c.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if task, err := c.Wait(ctx, res[0].ID); err != nil || task.State != store.StateSucceeded {
		t.Fatalf("the run's task: %v (%v)", task, err)
	}
	stopW()
	stopS()

	// A daily schedule whose last run is that task: the leader fired it
	// and will file the run at the next slot.
	rec := &store.Schedule{Name: "nightly", Cron: "@daily", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
		CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}},
		LastSlot: time.Now().Add(-time.Hour).UTC(), Fired: 1,
		Active: []store.ScheduleRun{{Slot: time.Now().Add(-time.Hour).UTC(), Task: res[0].ID}}}
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st)

	var one scheduleView
	getList(t, hs.URL+"/api/v1/schedules/nightly", &one)
	if len(one.Active) != 0 || len(one.Succeeded) != 1 {
		t.Fatalf("schedules/nightly: active %v, succeeded %v; want the run filed as succeeded", one.Active, one.Succeeded)
	}
	var list []scheduleView
	getList(t, hs.URL+"/api/v1/schedules", &list)
	if len(list) != 1 {
		t.Fatalf("schedules: %d listed, want 1", len(list))
	}
	if len(list[0].Active) != 0 {
		t.Fatalf("/api/v1/schedules lists run %s of nightly as active; its task %s has succeeded, as /api/v1/schedules/nightly and drover schedule ls say",
			list[0].Active[0].Slot.Format(time.RFC3339), list[0].Active[0].Task)
	}
}
