package scheduler

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestRunOutcomeOfASchedulePeriodLongerThanRetentionIsKept: the leader files
// an ended run of a schedule into its history (succeeded / failed) only
// when it reads the run's result, and it reads it only ahead of, or at, the
// schedule's next slot (refreshRuns, fireDue). A schedule whose slots are
// further apart than --result-retention (a monthly or yearly job under the
// default 7 days, a daily one under --result-retention 12h), or one paused,
// keeps its ended run "active" in its record while retention prunes the
// result; the next firing then finds no result and files the run as
// "gone: no result left (pruned)" among the skipped slots. Its success is
// lost: `drover schedule history` never lists one for such a schedule,
// though the leader held the schedule in its view, and the result stood in
// ZooKeeper, for the whole retention.
//
// Here a yearly schedule (a 6-field spec naming one second of the year)
// fires, its run succeeds, and two days pass (a term whose clocks, its own
// and ZooKeeper's as retention reads it, are 48 h ahead) under a 24 h
// retention, which prunes a task of no schedule finished after it. The
// run's success should be in the history: its result is kept until the
// schedule has filed it.
func TestRunOutcomeOfASchedulePeriodLongerThanRetentionIsKept(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	w := registerWorker(t, root, "w", 4, nil)
	s1, stop1 := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 10*time.Second, "s1 leads with its view built", func() bool {
		return s1.IsLeader() && s1.Stats().ViewReady
	})
	slot := time.Now().UTC().Truncate(time.Second).Add(3 * time.Second)
	yearly := fmt.Sprintf("%d %d %d %d %d *", slot.Second(), slot.Minute(), slot.Hour(), slot.Day(), int(slot.Month()))
	addSchedule(t, st, &store.Schedule{Name: "yearly", Cron: yearly, Concurrency: store.ConcurrencyAllow})

	var got []string
	drovertest.WaitFor(t, 20*time.Second, "the slot's run placed", func() bool {
		got = w.assignments(t)
		return len(got) == 1
	})
	w.finish(t, got[0])
	rec := readSchedule(t, st, "yearly")
	if rec.Fired != 1 || len(rec.Active) != 1 {
		t.Fatalf("after the slot: fired %d, active %v", rec.Fired, rec.Active)
	}
	id := rec.Active[0].Task
	if ok, _, err := st.Exists(lay.Result(id)); err != nil || !ok {
		t.Fatalf("result of run %s not there (%v, %v)", id, ok, err)
	}
	// A task of no schedule, finished after the run: the pass that prunes
	// it has passed over the run's result too.
	control := submit(t, st, 1, nil)[0]
	drovertest.WaitFor(t, 20*time.Second, "the control task placed", func() bool {
		got = w.assignments(t)
		return len(got) == 1
	})
	w.finish(t, got[0])
	drovertest.WaitFor(t, 10*time.Second, "the control task's result", func() bool {
		ok, _, err := st.Exists(lay.Result(control))
		return err == nil && ok
	})
	// What `schedule history` shows now: the run succeeded.
	now := cloneSchedule(rec)
	if err := RefreshRuns(context.Background(), st, nil, now); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(now.Succeeded, func(r store.ScheduleRun) bool { return r.Task == id }) {
		t.Fatalf("right after the run: history shows succeeded %v, active %v", now.Succeeded, now.Active)
	}

	// Two days on, under a day's retention.
	stop1()
	ahead := 48 * time.Hour
	s2, _ := runScheduler(t, st, "s2", func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return time.Now().Add(ahead) }
		c.zookeeperAhead = ahead
	})
	drovertest.WaitFor(t, 10*time.Second, "s2 leads with its view built", func() bool {
		return s2.IsLeader() && s2.Stats().ViewReady
	})
	waitGone(t, st, 20*time.Second, lay.Result(control)) // retention's takeover pass

	rec = readSchedule(t, st, "yearly")
	later := cloneSchedule(rec)
	if err := RefreshRuns(context.Background(), st, nil, later); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(later.Succeeded, func(r store.ScheduleRun) bool { return r.Task == id }) {
		t.Fatalf("the run %s that succeeded is not in the history once retention pruned its result: "+
			"record: active %v, succeeded %v, skipped %v; `schedule history` shows: active %v, succeeded %v "+
			"(the leader reads a run's outcome only at the next slot, a year away: it will file it as gone)",
			id, rec.Active, rec.Succeeded, rec.Skipped, later.Active, later.Succeeded)
	}
}
