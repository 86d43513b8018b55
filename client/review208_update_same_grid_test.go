package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// A spec written another way that names the same slots (its zone as
// --tz rather than a CRON_TZ= prefix, its fields spaced otherwise) is no
// new spec: an update that only rewrites it keeps the slots due and not
// fired yet for the leader to catch up, as its catch-up policy says. They
// were filed as missed, and the last slot moved to the update's time, so
// that a schedule moved from `schedule add` to a file for `schedule apply`
// lost the catch-up of an outage. (Found by review208.)
func TestUpdateOfTheSpecsFormAloneKeepsItsSlots(t *testing.T) {
	c, _ := newClient(t) // no leader runs: the clocks are the test's
	t0 := time.Date(2026, 11, 24, 10, 0, 30, 0, time.UTC)
	at := func(t time.Time) {
		c.now = func() time.Time { return t }
		c.zkNow = func() (time.Time, error) { return t, nil }
	}
	at(t0)
	spec := ScheduleSpec{Name: "report", Cron: "CRON_TZ=Europe/Berlin 0 * * * *", Catchup: store.CatchupAll, Task: TaskSpec{Cmd: []string{"./report.sh"}}}
	if _, err := c.AddSchedule(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	at(t0.Add(3*time.Hour + 20*time.Minute)) // 13:20:30 UTC: 11:00, 12:00 and 13:00 came due, unfired
	spec.Cron, spec.TZ = "0  *  * * *", "Europe/Berlin"
	rec, _, err := c.UpdateSchedule(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Skipped) != 0 || !rec.LastSlot.IsZero() {
		t.Errorf("after an update of the spec's form: skipped %+v, last slot %v; want none, and no last slot", rec.Skipped, rec.LastSlot)
	}
	s, err := scheduler.ParseSpec(rec.Cron, rec.TZ)
	if err != nil {
		t.Fatal(err)
	}
	if p := scheduler.PlanSlots(s, rec, t0.Add(3*time.Hour+20*time.Minute)); len(p.Fire) != 3 {
		t.Errorf("the leader plans %+v, want 11:00, 12:00 and 13:00 caught up", p)
	}
}
