package scheduler

import (
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// depose deletes scheduler id's election znode from outside, as ZooKeeper
// does when its session expires; it does not wait for anything.
func depose(t *testing.T, st *store.Store, id string) {
	line, err := st.Candidates()
	if err != nil {
		t.Error(err)
		return
	}
	for _, c := range line {
		if c.Info.ID == id {
			if err := st.Delete(st.Layout().Election()+"/"+c.Node, -1); err != nil {
				t.Error(err)
			}
			return
		}
	}
	t.Errorf("scheduler %s not in the election", id)
}

// A slot falls as the leader changes: the old leader has prepared its
// firing and commits it after the next leader took over (its fence is
// gone), or its firing was applied but its reply lost. Each slot fires
// once all the same, none is missed (catch-up all), and no task is queued
// for a slot the schedule does not list.
func TestSlotAtTakeoverFiresOnce(t *testing.T) {
	for _, lost := range []bool{false, true} {
		name := "fenced firing"
		if lost {
			name = "firing with its reply lost"
		}
		t.Run(name, func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			px := drovertest.StartProxy(t, drovertest.Addr())
			s1, _ := runScheduler(t, drovertest.OpenStoreAt(t, px.Addr(), root), "s1")
			drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
			s2, _ := runScheduler(t, drovertest.OpenStore(t, root), "s2")
			// The buckets of the slots to come: a firing is one transaction.
			for i := range 10 {
				if err := st.EnsureBuckets(store.IDAt(time.Now().Add(time.Duration(i) * time.Second))); err != nil {
					t.Fatal(err)
				}
			}
			var first atomic.Bool
			hooked := make(chan struct{})
			testHookFire = func() {
				if first.Swap(true) {
					return // s2's firings
				}
				defer close(hooked)
				if lost {
					px.DropReplies() // s1's firing goes, and is applied
					return
				}
				depose(t, st, "s1")
				drovertest.WaitFor(t, 10*time.Second, "s2 fires", func() bool { return s2.IsLeader() && readSchedule(t, st, "tick").Fired > 0 })
			}
			t.Cleanup(func() { testHookFire = nil })
			addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *", Catchup: store.CatchupAll})
			<-hooked
			if lost {
				drovertest.WaitFor(t, 10*time.Second, "s1's firing applied", func() bool { return readSchedule(t, st, "tick").Fired > 0 })
			}
			fired := readSchedule(t, st, "tick")
			if lost {
				px.Cut(true)
				depose(t, st, "s1")
				drovertest.WaitFor(t, 10*time.Second, "s2 leads", s2.IsLeader)
				px.Cut(false)
			}
			// s1 has committed, or lost the reply and is back: it knows its term
			// ended.
			drovertest.WaitFor(t, 10*time.Second, "s1 steps down", func() bool { return !s1.IsLeader() })
			drovertest.WaitFor(t, 10*time.Second, "s2 fires the next slot", func() bool {
				return readSchedule(t, st, "tick").LastSlot.After(fired.LastSlot)
			})
			rec := readSchedule(t, st, "tick")
			var slots []time.Time
			for _, r := range rec.Active {
				slots = append(slots, r.Slot)
			}
			sort.Slice(slots, func(i, j int) bool { return slots[i].Before(slots[j]) })
			for i := 1; i < len(slots); i++ {
				if d := slots[i].Sub(slots[i-1]); d != time.Second {
					t.Fatalf("slots %v: %v apart (fired twice, or one missed)", slots, d)
				}
			}
			if int(rec.Fired) != len(slots) || len(rec.Skipped) != 0 || !slots[len(slots)-1].Equal(rec.LastSlot) {
				t.Fatalf("fired %d, active %v, skipped %v, last slot %v", rec.Fired, slots, rec.Skipped, rec.LastSlot)
			}
			queued := 0
			for _, r := range rec.Active {
				if _, _, err := st.LookupTask(r.Task); err != nil {
					t.Fatalf("slot %v: %v", r.Slot, err)
				}
				queued++
			}
			if n := len(drovertest.QueuedIDs(t, st)); n != queued {
				t.Fatalf("%d tasks queued for %d slots", n, queued)
			}
		})
	}
}
