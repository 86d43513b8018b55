package scheduler

import (
	"strconv"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Where clocks go forward at midnight (Atlantic/Azores, America/Santiago,
// America/Havana, Asia/Beirut, Africa/Cairo: whole-hour zones, which README's
// daylight-saving promise covers), the hour 00:00-01:00 of the change day
// does not exist. The cron library notices a new day by its hour reading 0:
// its hour loop steps from 23:00 to 01:00 and goes on into that day without
// checking its day-of-week or day-of-month, and its day loop, handed
// 01:00 for the missing midnight, steps an hour back into the day before
// and then a whole day on. A weekly job fires on the wrong day (Saturday's
// on the Sunday of the change), a job for that day does not fire at all
// (Cairo's Friday job skips the Friday of the change; an April 24 job skips
// a year), and a yearly job fires on the day after its date.
func TestMidnightDSTKeepsToTheSpecsDays(t *testing.T) {
	tests := []struct {
		spec, tz, from string
		want           []string // local, RFC 3339
	}{
		// Azores: Sunday 2026-03-29 00:00 -01 becomes 01:00 +00.
		{"0 9 * * 6", "Atlantic/Azores", "2026-03-21T09:00:00-01:00",
			[]string{"2026-03-28T09:00:00-01:00", "2026-04-04T09:00:00Z"}},
		// Santiago: Sunday 2026-09-06 00:00 -04 becomes 01:00 -03.
		{"0 9 * * 6", "America/Santiago", "2026-08-29T09:00:00-04:00",
			[]string{"2026-09-05T09:00:00-04:00", "2026-09-12T09:00:00-03:00"}},
		{"0 9 5 * *", "America/Santiago", "2026-08-06T09:00:00-04:00",
			[]string{"2026-09-05T09:00:00-04:00", "2026-10-05T09:00:00-03:00"}},
		// Havana: Sunday 2026-03-08 00:00 -05 becomes 01:00 -04.
		{"0 12 * * 6", "America/Havana", "2026-03-07T12:00:00-05:00",
			[]string{"2026-03-14T12:00:00-04:00", "2026-03-21T12:00:00-04:00"}},
		// Beirut: Sunday 2026-03-29 00:00 +02 becomes 01:00 +03.
		{"0 12 * * 6", "Asia/Beirut", "2026-03-21T12:00:00+02:00",
			[]string{"2026-03-28T12:00:00+02:00", "2026-04-04T12:00:00+03:00"}},
		{"0 12 * * 0", "Asia/Beirut", "2026-03-22T12:00:00+02:00",
			[]string{"2026-03-29T12:00:00+03:00", "2026-04-05T12:00:00+03:00"}},
		{"0 12 29 3 *", "Asia/Beirut", "2025-04-01T12:00:00+03:00",
			[]string{"2026-03-29T12:00:00+03:00", "2027-03-29T12:00:00+03:00"}},
		// Cairo: Friday 2026-04-24 00:00 +02 becomes 01:00 +03 (2025: the 25th).
		{"0 12 * * 4", "Africa/Cairo", "2026-04-16T12:00:00+02:00",
			[]string{"2026-04-23T12:00:00+02:00", "2026-04-30T12:00:00+03:00"}},
		{"0 12 * * 5", "Africa/Cairo", "2026-04-17T12:00:00+02:00",
			[]string{"2026-04-24T12:00:00+03:00", "2026-05-01T12:00:00+03:00"}},
		{"0 12 24 4 *", "Africa/Cairo", "2025-04-24T12:00:00+02:00",
			[]string{"2026-04-24T12:00:00+03:00", "2027-04-24T12:00:00+02:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.tz+" "+tc.spec, func(t *testing.T) {
			from, err := time.Parse(time.RFC3339, tc.from)
			if err != nil {
				t.Fatal(err)
			}
			// From UTC too: a schedule's last slot comes back so.
			for _, from := range []time.Time{from, from.UTC()} {
				got := slots(t, tc.spec, tc.tz, from, len(tc.want))
				for i, w := range tc.want {
					want, err := time.Parse(time.RFC3339, w)
					if err != nil {
						t.Fatal(err)
					}
					if !got[i].Equal(want) {
						loc, _ := time.LoadLocation(tc.tz)
						t.Errorf("from %v: slot %d is %s, want %s", from, i, got[i].In(loc).Format("Mon 2006-01-02 15:04 MST"), want.In(loc).Format("Mon 2006-01-02 15:04 MST"))
						break
					}
				}
			}
		})
	}
}

// Catch-up after an outage across Beirut's change: a Saturday job last run
// on 2026-03-21, the leader back on 2026-04-05, has two Saturdays to run
// (all) or the newest of them (last). It ran the Sunday of the change as
// well, DROVER_SLOT a Sunday's.
func TestCatchupAcrossAMidnightDSTChangeRunsOnlyTheSpecsDays(t *testing.T) {
	s, err := ParseSpec("0 12 * * 6", "Asia/Beirut")
	if err != nil {
		t.Fatal(err)
	}
	beirut, err := time.LoadLocation("Asia/Beirut")
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2026, 3, 21, 12, 0, 0, 0, beirut).UTC()
	now := time.Date(2026, 4, 5, 8, 0, 0, 0, beirut)
	for _, catchup := range []string{store.CatchupAll, store.CatchupLast} {
		p := PlanSlots(s, &store.Schedule{Catchup: catchup, LastSlot: last}, now)
		for _, slot := range append(append([]time.Time(nil), p.Fire...), p.Missed...) {
			if wd := slot.In(beirut).Weekday(); wd != time.Saturday {
				t.Errorf("catch-up %s: slot %s (DROVER_SLOT %d) is a %v, want Saturdays only", catchup, slot.In(beirut).Format(time.RFC3339), slot.Unix(), wd)
			}
		}
		if n := len(p.Fire) + p.MissedCount; n != 2 {
			t.Errorf("catch-up %s: fired %v, missed %v: %d slots, want 2 (28 March, 4 April)", catchup, p.Fire, p.Missed, n)
		}
	}
}

// The leader, back on Sunday 5 April 2026 (Beirut) after an outage since a
// Saturday job last ran on 21 March, catches up (all) each Saturday since:
// 28 March and 4 April. It queued a task for Sunday 29 March too, the day
// Beirut's clocks went forward at midnight, its DROVER_SLOT a Sunday's.
func TestLeaderCatchupAcrossAMidnightDSTChangeQueuesOnlyTheSpecsDays(t *testing.T) {
	beirut, err := time.LoadLocation("Asia/Beirut")
	if err != nil {
		t.Fatal(err)
	}
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	last := time.Date(2026, 3, 21, 12, 0, 0, 0, beirut).UTC()
	addSchedule(t, st, &store.Schedule{Name: "saturdays", Cron: "0 12 * * 6", TZ: "Asia/Beirut",
		Catchup: store.CatchupAll, CreatedAt: last.Add(-time.Hour), LastSlot: last})
	var clock skewedClock
	clock.step(time.Until(time.Date(2026, 4, 5, 8, 0, 0, 0, beirut)))
	runScheduler(t, st, "s1", func(c *Config) { c.Now = clock.now })
	fourth := time.Date(2026, 4, 4, 12, 0, 0, 0, beirut)
	drovertest.WaitFor(t, 15*time.Second, "caught up to 4 April", func() bool {
		return !readSchedule(t, st, "saturdays").LastSlot.Before(fourth)
	})
	rec := readSchedule(t, st, "saturdays")
	var queued []string
	for _, run := range rec.Active {
		task, _, err := st.LookupTask(run.Task)
		if err != nil {
			t.Fatal(err)
		}
		unix, err := strconv.ParseInt(task.Env["DROVER_SLOT"], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		slot := time.Unix(unix, 0).In(beirut)
		queued = append(queued, slot.Format("Mon 2006-01-02 15:04 MST"))
		if slot.Weekday() != time.Saturday {
			t.Errorf("task %s: DROVER_SLOT %d is %s, not a Saturday", task.ID, unix, slot.Format("Mon 2006-01-02 15:04 MST"))
		}
	}
	if len(queued) != 2 {
		t.Errorf("queued %d tasks for %v; want 2: Sat 28 March and Sat 4 April", len(queued), queued)
	}
}
