package scheduler

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestLeapDayOnAWeekendFiresAfterASixteenYearGap: README reads day of month
// and day of week as crontab(5) does: a day-of-week field that starts with
// '*' makes the days those both fields name, so "0 0 29 2 */6" is a 29
// February that is a Saturday or a Sunday: 2032 (Sun), then 2048 (Sat).
// The spec is accepted (ParseSpec's "never fires" probe finds one), and
// the first slot fires; but beyondFiveYears looks only fifteen years past
// a slot ("past any gap between a date's slots", which holds for a date
// alone, not for a date on given weekdays: such gaps run to 28 years and
// more). After 2032 Next is zero: the leader sets no next slot and the
// schedule never fires again, silently; `schedule ls` shows its NEXT as
// "- (paused)" for an active schedule. Here the leader's clock is driven
// to the 2048 slot.
func TestLeapDayOnAWeekendFiresAfterASixteenYearGap(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	t0 := time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	addSchedule(t, st, &store.Schedule{Name: "leap", Cron: "0 0 29 2 */6", Catchup: store.CatchupLast, CreatedAt: t0})
	l := clockedLeader(t, st, &clock)
	for _, at := range []time.Time{
		time.Date(2032, 2, 29, 0, 0, 1, 0, time.UTC),
		time.Date(2048, 2, 29, 0, 0, 1, 0, time.UTC),
	} {
		clock.Store(&at)
		if err := l.fireDue(); err != nil {
			t.Fatal(err)
		}
	}
	rec := readSchedule(t, st, "leap")
	if rec.Fired != 2 {
		t.Errorf("fired %d slots by %v, want 2 (29 Feb 2032, a Sunday, and 29 Feb 2048, a Saturday): last slot %v, next after it %v",
			rec.Fired, *clock.Load(), rec.LastSlot, l.schedules["leap"].next)
	}
}
