package scheduler

import (
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestUpgradeKeepsAScheduleInAZoneEarlierReleasesFired: before 8de06c7 a
// zone was whatever time.LoadLocation loads, and it loads "Europe//Berlin"
// (and "Europe/./Berlin") from the system's tzdata: `schedule add --tz
// Europe//Berlin` was accepted and leaders fired it in Berlin time. Now
// zoneName refuses the name, ReadSpec returns an error that is not
// ErrUnknownZone (nor a compat one), and the upgraded leader moves the
// schedule to deadletter: it never fires again. ReadSpec's own rule is
// that "an upgrade must not move aside schedules in use" (what earlier
// releases wrote and fired is read with compat, as CRON_TZ=Local is).
func TestUpgradeKeepsAScheduleInAZoneEarlierReleasesFired(t *testing.T) {
	if _, err := time.LoadLocation("Europe//Berlin"); err != nil {
		t.Skipf("no tzdata loads Europe//Berlin here: %v", err)
	}
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorker(t, root, "w", 4, nil)
	// As a client of 597dc92 wrote it (its ParseSpec took the zone).
	addSchedule(t, st, &store.Schedule{Name: "berlin", Cron: "* * * * * *", TZ: "Europe//Berlin"})
	runScheduler(t, st, "s1")
	var fired int64
	gone := false
	drovertest.WaitFor(t, 10*time.Second, "the schedule fired or was moved aside", func() bool {
		data, _, err := st.Get(st.Layout().Schedule("berlin"))
		if errors.Is(err, store.ErrNoNode) {
			gone = true
			return true
		}
		if err != nil {
			return false
		}
		rec, err := store.DecodeSchedule(data)
		if err != nil {
			return false
		}
		fired = rec.Fired
		return fired >= 1
	})
	if gone {
		moved := deadletterFrom(t, st, st.Layout().Schedule("berlin"))
		t.Fatalf("a schedule in Europe//Berlin, which the release before added and fired, was removed by the upgraded leader (in deadletter: %v)", moved)
	}
}
