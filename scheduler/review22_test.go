package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestTombstoneStandsAnHourWhateverTheLeadersClock: a tombstone stands an
// hour after the removal (tombstoneAge) so that a write prepared from the
// removed record (a client's pause, resume or trigger, a deposed leader's
// firing) meets it and fails, and never a new record of an equal version.
// Since 2717c1c the hour is the leader's clock (l.now) less the record's
// mtime, ZooKeeper's clock: a leader whose clock runs two hours ahead of
// ZooKeeper's (or a ZooKeeper server's behind) deletes the tombstone of a
// schedule removed a moment ago at its first sweep, and the hour that the
// safety argument rests on is gone. Counted from the leader's own first
// read, as before, the offset between the clocks did not matter.
// (review22)
func TestTombstoneStandsAnHourWhateverTheLeadersClock(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	addSchedule(t, st, &store.Schedule{Name: "gone", Cron: "@yearly"})
	if err := st.RemoveSchedule("gone"); err != nil {
		t.Fatal(err)
	}
	ahead := time.Now().Add(2 * time.Hour)
	l, _, _ := termOf(t, st, func(c *Config) { c.Now = func() time.Time { return ahead } })
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	if err := l.sweepTombstones(); err != nil {
		t.Fatal(err)
	}
	if !scheduleExists(t, st, "gone") {
		t.Fatalf("the tombstone of a schedule removed a moment ago was deleted at the first sweep of a leader whose clock is 2 h ahead of ZooKeeper's (tombstoneAge %v)", tombstoneAge)
	}
}

// TestTombstoneGoesAnHourAfterItsReadWhateverTheLeadersClock: the other way
// round, a leader whose clock is two hours behind ZooKeeper's keeps a
// tombstone three hours of its own, and terms shorter than that never
// delete it, the growth of schedules/ that 2717c1c meant to end. A
// ZooKeeper server whose clock once ran ahead (its mtimes in the future)
// leaves every tombstone it stamped until the leaders' clocks catch up.
// (review22)
func TestTombstoneGoesAnHourAfterItsReadWhateverTheLeadersClock(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	addSchedule(t, st, &store.Schedule{Name: "gone", Cron: "@yearly"})
	if err := st.RemoveSchedule("gone"); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-2 * time.Hour)
	clock := at
	l, _, _ := termOf(t, st, func(c *Config) { c.Now = func() time.Time { return clock } })
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	clock = at.Add(tombstoneAge + time.Minute)
	if err := l.sweepTombstones(); err != nil {
		t.Fatal(err)
	}
	if scheduleExists(t, st, "gone") {
		t.Fatalf("a leader whose clock is 2 h behind ZooKeeper's keeps a tombstone %v after it read it (tombstoneAge %v)", tombstoneAge+time.Minute, tombstoneAge)
	}
}
