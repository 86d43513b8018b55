package client

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/drover-sched/drover/scheduler"
)

// Slots that came due while no leader was up, and that a pause then stops,
// are recorded as missed. They vanished without a trace: the resume
// continues from its own time, and nothing had handled them.
func TestPauseRecordsSlotsDueBeforeItThatNoLeaderFired(t *testing.T) {
	c, _ := newClient(t) // no leader runs
	t0 := time.Date(2026, 11, 24, 10, 0, 30, 0, time.UTC)
	at := func(t time.Time) {
		c.now = func() time.Time { return t }
		c.zkNow = func() (time.Time, error) { return t, nil }
	}
	at(t0)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "hourly", Cron: "0 * * * *", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	at(t0.Add(3*time.Hour + 20*time.Minute)) // 13:20:30: 11:00, 12:00 and 13:00 are due
	rec, err := c.PauseSchedule(context.Background(), "hourly")
	if err != nil {
		t.Fatal(err)
	}
	var missed []time.Time
	for _, r := range rec.Skipped {
		if r.Reason == MissedPaused {
			missed = append(missed, r.Slot)
		}
	}
	hour := func(h int) time.Time { return time.Date(2026, 11, 24, h, 0, 0, 0, time.UTC) }
	if want := []time.Time{hour(11), hour(12), hour(13)}; !slices.EqualFunc(missed, want, time.Time.Equal) {
		t.Errorf("missed %v, want %v", missed, want)
	}
	if !rec.LastSlot.Equal(hour(13)) {
		t.Errorf("last slot %v, want 13:00", rec.LastSlot)
	}

	// Paused again later: nothing more is recorded (slots while paused are
	// not missed, they are paused).
	at(t0.Add(5 * time.Hour))
	if rec, err = c.PauseSchedule(context.Background(), "hourly"); err != nil {
		t.Fatal(err)
	}
	if len(rec.Skipped) != 3 {
		t.Errorf("a second pause recorded %d slots, want the first's 3", len(rec.Skipped))
	}
	// The resume goes on from the next slot.
	if rec, err = c.ResumeSchedule(context.Background(), "hourly"); err != nil {
		t.Fatal(err)
	}
	spec, err := scheduler.ParseSpec(rec.Cron, rec.TZ)
	if err != nil {
		t.Fatal(err)
	}
	plan := scheduler.PlanSlots(spec, rec, hour(16).Add(time.Second))
	if len(plan.Fire) != 1 || !plan.Fire[0].Equal(hour(16)) || plan.MissedCount != 0 {
		t.Errorf("after the resume at 15:00:30 the leader plans %+v at 16:00:01, want 16:00 fired alone", plan)
	}
}
