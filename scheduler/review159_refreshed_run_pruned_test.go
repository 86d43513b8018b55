package scheduler

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview159RunReadAheadIsKeptUntilItsOutcomeIsWritten: README promises
// that "a schedule's run is kept until the leader has filed its outcome in
// the schedule's history (at the schedule's next slot, so a monthly job's
// outcome outlives a week's retention)", and retention keeps the results
// of the runs the view's records hold active (trackedRuns). But refreshRuns
// reads an allow schedule's runs refreshAhead (10 s) before its slot and
// applyRefresh files the ended ones into the view's copy of the record
// only: ZooKeeper's record still lists them active until the firing writes
// it. A retention pass in those seconds (one a minute, so about one slot
// in six) no longer counts them tracked and prunes their results. When the
// firing then does not write the view's copy (the term ends before the
// slot; a `schedule pause`, `trigger` or any edit in the window makes the
// leader read the record again, with the run active), the next reading
// finds the run's result gone and its task nowhere, and files it as "gone:
// no result left (pruned)": the run's success is lost, the case trackedRuns
// was made for.
//
// Here a daily schedule's last run succeeded a day ago (by a term whose
// clocks, its own and ZooKeeper's as retention reads it, are 48 h ahead),
// under a 24 h retention. The term reads the runs ahead 5 s before the
// slot, a pass runs, and the term ends before the slot.
func TestReview159RunReadAheadIsKeptUntilItsOutcomeIsWritten(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	real := time.Now()
	slot := real.Add(48 * time.Hour).UTC().Truncate(time.Minute).Add(2 * time.Minute)
	now := slot.Add(-5 * time.Second) // the term's clock: 5 s before the slot
	prev := slot.Add(-24 * time.Hour)
	daily := fmt.Sprintf("%d %d * * *", slot.Minute(), slot.Hour())
	addSchedule(t, st, &store.Schedule{Name: "daily", Cron: daily, Concurrency: store.ConcurrencyAllow})
	// Its last run, fired at prev (as the record's last slot says), succeeded.
	run := finished(t, st, real.Add(-time.Minute), real.Add(-time.Minute), store.StateSucceeded)
	editSchedule(t, st, "daily", func(rec *store.Schedule) {
		rec.LastSlot, rec.Fired = prev, 1
		rec.Active = []store.ScheduleRun{{Slot: prev, Task: run}}
	})
	l, _, stop := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return now }
		c.zookeeperAhead = now.Sub(real) // ZooKeeper's clock as retention reads it, as far ahead
	})
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	e := l.schedules["daily"]
	if e == nil || !e.next.Equal(slot) || len(e.rec.Active) != 1 {
		t.Fatalf("view: %+v, want the schedule with its next slot %v and one active run", e, slot)
	}
	// The read ahead of the slot, as the loop makes it.
	l.refreshRuns(l.now())
	l.applyRefresh(<-l.refreshes)
	// A retention pass in the seconds before the slot, as startPrune runs it.
	l.tracked = l.trackedRuns()
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	stop() // the term ends before the slot fires
	rec := readSchedule(t, st, "daily")
	_, _, resErr := st.Get(lay.Result(run))
	// What the next leader files (RefreshRuns with its view, which holds
	// no such task).
	next := cloneSchedule(rec)
	if err := RefreshRuns(context.Background(), st, func(string) bool { return false }, next); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(next.Succeeded, func(r store.ScheduleRun) bool { return r.Task == run }) {
		t.Fatalf("the run %s that succeeded is lost: ZooKeeper's record still lists it active (%v) and in no history, "+
			"yet its result was pruned (read: %v) by a pass that ran after the view read the run ahead of the slot; "+
			"the next leader files it as succeeded %v, skipped %v",
			run, rec.Active, resErr, next.Succeeded, next.Skipped)
	}
}

// TestReview159RunReadAheadIsKeptThroughAnEditBeforeTheSlot: the same
// loss within one term, with no failover: a `schedule pause` and `resume`
// (or any edit of the record: trigger, a changed keep count) in the seconds
// between the read ahead and the slot makes the leader read the record
// again, with the run active, after a pass pruned its result; the slot's
// firing then files the run that succeeded as gone.
func TestReview159RunReadAheadIsKeptThroughAnEditBeforeTheSlot(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	real := time.Now()
	slot := real.Add(48 * time.Hour).UTC().Truncate(time.Minute).Add(2 * time.Minute)
	var clock atomic.Int64
	clock.Store(slot.Add(-5 * time.Second).UnixNano()) // 5 s before the slot
	prev := slot.Add(-24 * time.Hour)
	daily := fmt.Sprintf("%d %d * * *", slot.Minute(), slot.Hour())
	addSchedule(t, st, &store.Schedule{Name: "daily", Cron: daily, Concurrency: store.ConcurrencyAllow})
	run := finished(t, st, real.Add(-time.Minute), real.Add(-time.Minute), store.StateSucceeded)
	editSchedule(t, st, "daily", func(rec *store.Schedule) {
		rec.LastSlot, rec.Fired = prev, 1
		rec.Active = []store.ScheduleRun{{Slot: prev, Task: run}}
	})
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return time.Unix(0, clock.Load()) }
		c.zookeeperAhead = slot.Add(-5 * time.Second).Sub(real)
	})
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	l.refreshRuns(l.now())
	l.applyRefresh(<-l.refreshes)
	l.tracked = l.trackedRuns()
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	// An edit of the record before the slot (here its keep count), read
	// by the leader as its watch tells it.
	editSchedule(t, st, "daily", func(rec *store.Schedule) { rec.KeepSucceeded = 20 })
	if err := l.readSchedule("daily"); err != nil {
		t.Fatal(err)
	}
	clock.Store(slot.Add(time.Second).UnixNano()) // the slot
	if err := l.fireDue(); err != nil {
		t.Fatal(err)
	}
	rec := readSchedule(t, st, "daily")
	if rec.Fired != 2 {
		t.Fatalf("the slot did not fire: fired %d", rec.Fired)
	}
	if !slices.ContainsFunc(rec.Succeeded, func(r store.ScheduleRun) bool { return r.Task == run }) {
		t.Fatalf("the run %s that succeeded is filed as succeeded %v, skipped %v, active %v: a pass after the read ahead pruned its result",
			run, rec.Succeeded, rec.Skipped, rec.Active)
	}
}
