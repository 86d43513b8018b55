package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// A spec rewritten in another form that names the very same slots is no
// new spec, whichever form: a descriptor and the fields it stands for
// (@daily, 0 0 * * *), five fields and six with second 0, an @every
// interval written in other units (60s, 1m), UTC by another of its names
// (Etc/UTC), a month or day name in capitals or not. sameGrid compares
// only spacing, Sunday as 7 and where the zone is written, so an update
// that only rewrites the spec so files the slots due and not fired as
// missed and moves the last slot to the update: a schedule whose file
// says @daily where `schedule add` said 0 0 * * * loses the catch-up of
// an outage. (Found by review209.)
func TestUpdateOfAnEquivalentSpecKeepsItsSlots(t *testing.T) {
	c, _ := newClient(t) // no leader runs: the clocks are the test's
	for i, tc := range []struct{ oldCron, oldTZ, newCron, newTZ string }{
		{"0 0 * * *", "", "@daily", ""},
		{"@midnight", "", "0 0 * * *", ""},
		{"0 * * * *", "", "0 0 * * * *", ""},
		{"@every 60s", "", "@every 1m", ""},
		{"0 * * * *", "UTC", "0 * * * *", "Etc/UTC"},
		{"CRON_TZ=UTC 0 * * * *", "", "0 * * * *", ""},
		{"0 * * * MON-FRI", "", "0 * * * mon-fri", ""},
		{"TZ=Europe/Berlin 0 * * * *", "", "CRON_TZ=Europe/Berlin 0 * * * *", ""},
	} {
		t.Run(fmt.Sprintf("%s(%s)->%s(%s)", tc.oldCron, tc.oldTZ, tc.newCron, tc.newTZ), func(t *testing.T) {
			// A Wednesday: a weekday's hours come due.
			t0 := time.Date(2026, 11, 25, 10, 0, 30, 0, time.UTC)
			at := func(t time.Time) {
				c.now = func() time.Time { return t }
				c.zkNow = func() (time.Time, error) { return t, nil }
			}
			at(t0)
			spec := ScheduleSpec{Name: fmt.Sprintf("s%d", i), Cron: tc.oldCron, TZ: tc.oldTZ, Catchup: store.CatchupAll,
				Task: TaskSpec{Cmd: []string{"./report.sh"}}}
			if _, err := c.AddSchedule(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			later := t0.Add(50 * time.Hour) // two midnights, fifty hours, three thousand minutes: all due, none fired
			at(later)
			spec.Cron, spec.TZ = tc.newCron, tc.newTZ
			rec, _, err := c.UpdateSchedule(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Skipped) != 0 || !rec.LastSlot.IsZero() {
				n := len(rec.Skipped)
				var first store.ScheduleRun
				if n > 0 {
					first = rec.Skipped[0]
				}
				t.Errorf("after an update to a spec naming the same slots: %d skipped (first %+v), last slot %v; want none, and no last slot",
					n, first, rec.LastSlot)
			}
			s, err := scheduler.ParseSpec(rec.Cron, rec.TZ)
			if err != nil {
				t.Fatal(err)
			}
			if p := scheduler.PlanSlots(s, rec, later); len(p.Fire) == 0 {
				t.Errorf("the leader plans %+v, want the due slots caught up", p)
			}
		})
	}
}
