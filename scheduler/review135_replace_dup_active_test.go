package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview135ReplaceWithDuplicateActiveRunKeepsFiring: a replace
// schedule whose record lists one active run twice (edited by hand, or
// merged by a tool) passes DecodeSchedule, which checks each active run's
// id but not that they differ. Its next firing builds a cancel for each
// entry: two deletes of the same queue item and two creates of the same
// result in one transaction, which ZooKeeper refuses (no node / node
// exists). fireAll takes that for a schedule changed under it and reads it
// again (refire), and the same firing fails again, at every slot: the
// schedule never fires again and the record is neither repaired nor moved
// aside; nothing says why.
func TestReview135ReplaceWithDuplicateActiveRunKeepsFiring(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	const name = "dup-active"
	addSchedule(t, st, &store.Schedule{Name: name, Cron: "* * * * * *", Concurrency: store.ConcurrencyReplace})
	_, stop := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "a first firing", func() bool { return len(readSchedule(t, st, name).Active) == 1 })
	stop()
	// No worker: the active run stays queued. List it twice.
	data, stat, err := st.Get(lay.Schedule(name))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.DecodeSchedule(data)
	if err != nil {
		t.Fatal(err)
	}
	rec.Active = append(rec.Active, rec.Active[0])
	fired := rec.Fired
	data, err = rec.EncodeFit()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(lay.Schedule(name), data, stat.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := store.DecodeSchedule(data); err != nil {
		t.Fatalf("the edited record does not decode (then it is moved aside, as it should): %v", err)
	}
	runScheduler(t, st, "s2")
	ok := drovertest.Eventually(10*time.Second, func() bool {
		data, _, err := st.Get(lay.Schedule(name))
		if err != nil {
			return false
		}
		cur, err := store.DecodeSchedule(data)
		return err == nil && cur.Fired >= fired+2
	})
	if !ok {
		cur := readSchedule(t, st, name)
		t.Fatalf("replace schedule with its active run listed twice fired %d times since (active %d): want it firing every second again "+
			"(the duplicate cancelled once), or the record moved aside; deadlettered: %v",
			cur.Fired-fired, len(cur.Active), deadletterFrom(t, st, lay.Schedule(name)))
	}
}
