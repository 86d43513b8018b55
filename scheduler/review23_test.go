package scheduler

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestTombstoneStandsAnHourAfterAnEpochMadeAgain: efc0330 puts a
// tombstone's mtime on the leader's clock with the offset the term learns
// from its epoch bump's mtime (store.EpochBump.At). When the epoch znode is
// missing (deleted by hand) the bump creates it, and a create in a multi
// returns no Stat in go-zookeeper v1.0.4 (opCreate: the path only): At is
// zero, zkAhead 0, and the term compares the raw mtime with its own clock
// again. A leader whose clock runs two hours ahead of ZooKeeper's then
// deletes the tombstone of a schedule removed a moment ago at its first
// sweep, as before efc0330. (review23)
func TestTombstoneStandsAnHourAfterAnEpochMadeAgain(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	addSchedule(t, st, &store.Schedule{Name: "gone", Cron: "@yearly"})
	if err := st.RemoveSchedule("gone"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(st.Layout().Epoch(), -1); err != nil {
		t.Fatal(err)
	}
	l, _, _ := termOf(t, st, func(c *Config) { c.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } })
	if l.zkAhead == 0 {
		t.Logf("zkAhead is 0 for a term whose bump made the epoch znode again (clock 2 h ahead)")
	}
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	if err := l.sweepTombstones(); err != nil {
		t.Fatal(err)
	}
	if !scheduleExists(t, st, "gone") {
		t.Fatalf("the tombstone of a schedule removed a moment ago was deleted at the first sweep of a leader 2 h ahead of ZooKeeper whose term made the epoch znode again (zkAhead %v, tombstoneAge %v)", l.zkAhead, tombstoneAge)
	}
}

// TestTombstoneStandsAnHourAfterTheLeadersClockIsStepped: the offset is
// learnt once, as the term begins, and kept for the whole term. A leader
// elected while its clock was two hours behind (before NTP synced it, a
// VM restored from a snapshot) learns zkAhead = +2 h; once NTP steps its
// clock right, every mtime less 2 h lies 2 h in its past, and a schedule
// removed after the step loses its tombstone at the first sweep. Compared
// with the leader's clock as it is now (before efc0330) the tombstone
// stood its hour once the clock was right. The same follows when the
// ZooKeeper leader that stamps mtimes changes to a member whose clock is
// off from the one that stamped the bump. (review23)
func TestTombstoneStandsAnHourAfterTheLeadersClockIsStepped(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	var off atomic.Int64
	off.Store(int64(-2 * time.Hour))
	l, _, _ := termOf(t, st, func(c *Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	})
	off.Store(0) // NTP steps the leader's clock right during the term
	addSchedule(t, st, &store.Schedule{Name: "gone", Cron: "@yearly"})
	if err := st.RemoveSchedule("gone"); err != nil {
		t.Fatal(err)
	}
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	if err := l.sweepTombstones(); err != nil {
		t.Fatal(err)
	}
	if !scheduleExists(t, st, "gone") {
		t.Fatalf("the tombstone of a schedule removed a moment ago was deleted at the first sweep of a leader whose clock was stepped 2 h forward (to the right time) after its term began (zkAhead %v, tombstoneAge %v)", l.zkAhead, tombstoneAge)
	}
}
