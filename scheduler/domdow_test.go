package scheduler

import (
	"testing"
	"time"
)

// crontab(5): "If both fields are restricted (i.e., do not contain the "*"
// character), the command will be run when either field matches"; a field
// that does contain it, as "*/2" does, leaves the other to decide alone
// (cronie and Vixie cron set DOM_STAR/DOW_STAR from the leading '*'). The
// cron library counts only a bare "*" (or a step of 1) as unrestricted, so
// a crontab line moved over runs on other days: "0 9 */2 * 1" (odd-day
// Mondays) runs every odd day and every Monday, "0 9 1 * */2" (the 1st, on
// Sunday, Tuesday, Thursday or Saturday) every other weekday as well as
// every 1st. README takes day-of-week 7 "as in crontab(5)" and says nothing
// of this difference.
func TestStarStepDayFieldsAreUnrestrictedAsInCrontab(t *testing.T) {
	june := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) // a Monday
	tests := []struct {
		spec string
		want []string // 09:00 UTC on these days
	}{
		{"0 9 */2 * 1", []string{"2026-06-01", "2026-06-15", "2026-06-29", "2026-07-13"}},
		{"0 9 1 * */2", []string{"2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"}},
	}
	for _, tc := range tests {
		// From just before 1 June.
		got := slots(t, tc.spec, "", june.Add(-time.Hour), len(tc.want))
		for i, w := range tc.want {
			want, err := time.Parse("2006-01-02 15:04", w+" 09:00")
			if err != nil {
				t.Fatal(err)
			}
			if !got[i].Equal(want) {
				t.Errorf("%q: slot %d is %s, want %s (crontab(5): a day field with '*' is unrestricted)",
					tc.spec, i, got[i].Format("Mon 2006-01-02"), want.Format("Mon 2006-01-02"))
				break
			}
		}
	}
}
