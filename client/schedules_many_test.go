package client

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// ApplySchedules times its writes by one read of ZooKeeper's clock a
// second, run on by this host's, and that time is no later than ZooKeeper's
// stamp of each write (ApplySchedule's own read came before its write):
// a new schedule's creation time, and a changed one's last slot, from
// which its new spec's slots start. A run with nothing to write reads the
// clock not at all (the read is a write).
func TestApplySchedulesTimesItsWritesByZooKeepersClock(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := New(st)
	var reads atomic.Int32
	c.zkNow = func() (time.Time, error) { reads.Add(1); return st.ZookeeperNow("") }
	apply := func(cron string) map[Applied]int {
		t.Helper()
		specs := make([]ScheduleSpec, 300)
		for i := range specs {
			specs[i] = ScheduleSpec{Name: fmt.Sprintf("s%03d", i), Cron: cron, Task: TaskSpec{Cmd: []string{"true"}}}
		}
		reads.Store(0)
		start := time.Now()
		got := map[Applied]int{}
		err := c.ApplySchedules(context.Background(), specs, func(i int, a Applied, err error) bool {
			if err != nil {
				t.Errorf("%s: %v", specs[i].Name, err)
			}
			got[a]++
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, most := reads.Load(), int32(time.Since(start)/zkClockFresh)+1; got[Unchanged] < len(specs) && (n < 1 || n > most) {
			t.Errorf("%d reads of ZooKeeper's clock in %v, want 1 to %d", n, time.Since(start), most)
		}
		for i := range specs {
			data, stat, err := st.Get(st.Layout().Schedule(specs[i].Name))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := store.DecodeSchedule(data)
			if err != nil {
				t.Fatal(err)
			}
			if rec.CreatedAt.Truncate(time.Millisecond).After(stat.Ctime) {
				t.Fatalf("%s created at %v, after ZooKeeper's stamp of its create, %v", rec.Name, rec.CreatedAt, stat.Ctime)
			}
			if rec.LastSlot.After(stat.Mtime) {
				t.Fatalf("%s's new spec starts after %v, after ZooKeeper's stamp of its update, %v", rec.Name, rec.LastSlot, stat.Mtime)
			}
		}
		return got
	}
	if got := apply("* * * * * *"); got[Added] != 300 {
		t.Fatalf("first apply: %v", got)
	}
	if got := apply("* * * * * *"); got[Unchanged] != 300 || reads.Load() != 0 {
		t.Fatalf("the same again: %v, %d reads of ZooKeeper's clock; want all unchanged and none", got, reads.Load())
	}
	if got := apply("*/2 * * * * *"); got[Updated] != 300 {
		t.Fatalf("a new spec: %v", got)
	}
}
