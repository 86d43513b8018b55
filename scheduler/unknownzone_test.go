package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A schedule whose zone this leader's tzdata does not have (a zone that a
// newer tzdata added, as 2025b added America/Coyhaique, and that a client
// with that tzdata, its host's or a newer Go's embedded one, accepted) is
// no malformed record: it is moved to deadletter, and with it the user's
// schedule, for good, while an upgrade of the leader, or of its host's
// tzdata, would have fired it. README (Upgrading) leaves a record a binary
// cannot read in place, as a newer schedule record is.
func TestScheduleInAZoneThisTzdataLacksIsLeftInPlace(t *testing.T) {
	const zone = "America/Zone_Of_A_Newer_Tzdata"
	if _, err := time.LoadLocation(zone); err == nil {
		t.Skipf("this tzdata has %s", zone)
	}
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	// What a client whose tzdata has the zone writes.
	rawSchedule(t, st, &store.Schedule{Name: "report", Cron: "0 2 * * *", TZ: zone,
		Task: store.Task{Cmd: []string{"./report.sh"}}})
	runScheduler(t, st, "s1")
	addSchedule(t, st, &store.Schedule{Name: "witness", Cron: "* * * * * *"})
	drovertest.WaitFor(t, 15*time.Second, "witness fires twice", func() bool { return readSchedule(t, st, "witness").Fired >= 2 })
	if !scheduleExists(t, st, "report") {
		t.Fatalf("schedule report (zone %s, unknown to this leader's tzdata) was removed; in deadletter: %v",
			zone, deadletterFrom(t, st, st.Layout().Schedule("report")))
	}
}
