package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview161UnknownZoneScheduleKeepsItsRunsResults: README promises
// that "a schedule's run is kept until the leader has filed its outcome in
// the schedule's history", and that a schedule in a time zone the
// leader's tzdata lacks "is left in place and not fired ... until the
// leader's tzdata (or another leader) has it". But applySchedule takes
// such a schedule out of the view (into l.newer), and trackedRuns counts
// only the view's schedules: under a leader whose tzdata lacks the zone
// (a failover to an older host during a tzdata roll-out), retention
// prunes the results of the schedule's active runs, and the leader that
// has the zone files them as "gone: no result left (pruned)", their
// outcomes lost. The same holds for a record of a newer format during an
// upgrade (also l.newer). A schedule in a zone the leader has is kept
// (the control here).
func TestReview161UnknownZoneScheduleKeepsItsRunsResults(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	real := time.Now()
	now := real.Add(48 * time.Hour) // the term's clock, and ZooKeeper's as retention reads it
	mk := func(name, tz string) string {
		run := finished(t, st, real.Add(-time.Minute), real.Add(-time.Minute), store.StateSucceeded)
		addSchedule(t, st, &store.Schedule{Name: name, Cron: "0 2 1 * *", TZ: "Europe/Berlin", Concurrency: store.ConcurrencyAllow})
		editSchedule(t, st, name, func(rec *store.Schedule) {
			rec.TZ = tz // written as a client whose tzdata has it would
			rec.LastSlot, rec.Fired = real.Add(-time.Hour).UTC(), 1
			rec.Active = []store.ScheduleRun{{Slot: real.Add(-time.Hour).UTC(), Task: run}}
		})
		return run
	}
	known := mk("monthly", "Europe/Berlin")
	unknown := mk("martian", "Mars/Olympus") // a zone no tzdata of this host has (a newer one's, say)
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return now }
		c.zookeeperAhead = now.Sub(real)
	})
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.newer["martian"]; !ok {
		t.Fatalf("schedule in zone Mars/Olympus not left in place as one this host's tzdata lacks (view %v)", l.schedules["martian"])
	}
	l.tracked = l.trackedRuns()
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := st.Exists(lay.Result(known)); err != nil || !ok {
		t.Fatalf("control: result of the run of a schedule in a known zone pruned (exists %v, err %v)", ok, err)
	}
	if ok, _, err := st.Exists(lay.Result(unknown)); err != nil || !ok {
		t.Fatalf("result of the active run %s of schedule martian (zone this leader lacks, left in place, not fired) pruned by retention "+
			"(exists %v, err %v): its run is not kept until a leader files its outcome; a leader with the zone files it as gone", unknown, ok, err)
	}
}
