package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// Pacific/Chatham's clocks go back a whole hour at 03:45 (+13:45 becomes
// 02:45 +12:45; 2026-04-05): README's daylight-saving promise covers it
// (only half-hour changes are excepted). There the cron library answers
// with a wall time of hour 2 for an hour-3 spec, and asked again from it
// gives the same time, or one before it. wallDays re-asks: a daily 03:50
// job got its 1000 re-asks' zero and beyondFiveYears' next, five years on;
// a */15 job in hour 3 got 03:00 +13:45, half an hour before the time it
// was asked from, and its slots went round 03:00, 03:15, 03:30 for good.
func TestChathamFallBackSlotsMoveOn(t *testing.T) {
	chatham, err := time.LoadLocation("Pacific/Chatham")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, h, m int, offset string) time.Time {
		v, err := time.Parse("2006-01-02 15:04 -0700", time.Date(2026, 4, d, h, m, 0, 0, time.UTC).Format("2006-01-02 15:04 ")+offset)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		spec string
		from time.Time
		want []time.Time
	}{
		{"50 3 * * *", day(4, 3, 50, "+1345"),
			[]time.Time{day(5, 3, 50, "+1245"), day(6, 3, 50, "+1245")}},
		// 03:00 - 03:44 happen twice (each runs once), 03:45 once.
		{"*/15 3 * * *", day(5, 3, 10, "+1345"),
			[]time.Time{day(5, 3, 15, "+1345"), day(5, 3, 30, "+1345"), day(5, 3, 45, "+1245"), day(6, 3, 0, "+1245")}},
	}
	for _, tc := range tests {
		for _, from := range []time.Time{tc.from.In(chatham), tc.from.UTC()} {
			got := slots(t, tc.spec, "Pacific/Chatham", from, len(tc.want))
			for i, w := range tc.want {
				if !got[i].Equal(w) {
					t.Errorf("%s from %v: slot %d is %v, want %v", tc.spec, from, i, got[i].In(chatham), w.In(chatham))
					break
				}
			}
		}
	}
}

// The leader, back two days after the change, catches up a */15 hour-3
// Chatham schedule last run at 03:00 +13:45 on the day of the change: its
// walk of the slots went round that morning's three until maxScan, and
// each part resumed inside the round: the schedule never got past it.
func TestChathamCatchupGetsPastTheFallBack(t *testing.T) {
	s, err := ParseSpec("*/15 3 * * *", "Pacific/Chatham")
	if err != nil {
		t.Fatal(err)
	}
	chatham, err := time.LoadLocation("Pacific/Chatham")
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2026, 4, 5, 3, 0, 0, 0, time.FixedZone("+1345", 13*3600+45*60)).UTC()
	now := time.Date(2026, 4, 7, 12, 0, 0, 0, chatham)
	want := time.Date(2026, 4, 7, 3, 45, 0, 0, chatham)
	rec := &store.Schedule{Catchup: store.CatchupAll, LastSlot: last}
	for part := 0; part < 5; part++ {
		p := PlanSlots(s, rec, now)
		if p.Last.Equal(want) {
			return
		}
		if p.Last.IsZero() || !p.Last.After(rec.LastSlot) {
			t.Fatalf("part %d: from %v the plan's last slot is %v (%d fired, %d missed): no progress, want %v",
				part, rec.LastSlot.In(chatham), p.Last.In(chatham), len(p.Fire), p.MissedCount, want)
		}
		rec.LastSlot = p.Last
	}
	t.Fatalf("after 5 parts the last slot is %v, want %v", rec.LastSlot.In(chatham), want)
}
